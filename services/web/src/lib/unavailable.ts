/**
 * Errors that mean "a backend cannot be reached right now", not "this request is wrong" nor "our
 * code is wrong": PostgreSQL restarting or failing over (seen in the fault test: every page load
 * during a restart answered 500 "Something went wrong on our side"), a connection refused or reset.
 * web answers them 503 with Retry-After, and a page that says to try again in a few seconds.
 *
 * Recognised by code, as pg and Node give it: SQLSTATE class 08 (connection exception) and 57P
 * (operator intervention: admin_shutdown 57P01 "terminating connection due to administrator
 * command", crash_shutdown 57P02, cannot_connect_now 57P03 "the database system is starting up"),
 * the socket errors ECONNREFUSED / ECONNRESET / ETIMEDOUT / EPIPE, and pg's own message for a
 * connection that ended under a query (it has no code).
 */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

export const RETRY_AFTER_SECONDS = 5;

export function isBackendUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (code.startsWith('08') || code.startsWith('57P') || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && /^Connection terminated( unexpectedly)?$/.test(message)) return true;
    // AggregateError (a refused connection to every address of a host) and wrapped causes
    const inner = (e as { errors?: unknown[] }).errors?.[0] ?? cause;
    e = inner;
  }
  return false;
}
