/**
 * Errors that mean "a backend cannot be reached right now", not "this request is wrong" nor "our
 * code is wrong": PostgreSQL restarting or failing over (seen in web's fault test: every page load
 * during a restart answered 500 "Something went wrong on our side"), a connection refused or reset.
 * The services' error handler (errors.ts) answers them 503 with Retry-After and a sentence that
 * says to try again; web's pages say the same in a page.
 *
 * Recognised by code, as pg and Node give it: SQLSTATE class 08 (connection exception) and 57P
 * (operator intervention: admin_shutdown 57P01 "terminating connection due to administrator
 * command", crash_shutdown 57P02, cannot_connect_now 57P03 "the database system is starting up"),
 * the socket errors ECONNREFUSED / ECONNRESET / ETIMEDOUT / EPIPE, and pg's own message for a
 * connection that ended under a query (it has no code).
 */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** What a 503 for an unreachable backend asks the client to wait (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 5;

/** The sentence a client gets with that 503. */
export const UNAVAILABLE_MESSAGE = `GAS is briefly unavailable: part of it could not be reached just now (it may be restarting). Please try again in ${RETRY_AFTER_SECONDS} seconds.`;

export function isBackendUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (code.startsWith('08') || code.startsWith('57P') || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && /^Connection terminated( unexpectedly)?$/.test(message)) return true;
    // AggregateError (a refused connection to every address of a host) and wrapped causes
    e = (e as { errors?: unknown[] }).errors?.[0] ?? cause;
  }
  return false;
}
