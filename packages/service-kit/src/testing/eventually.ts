/**
 * Waiting in tests for something a system does eventually (a message delivered, a job final):
 * polls `check` until it returns a value. `undefined`, `null` and `false` mean "not yet".
 * The limit is not a timing assertion: it only stops a hung test, with `what` in the error.
 * One copy for the repository's tests (services, devcloud, the stack tests).
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  limitMs = 150_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
