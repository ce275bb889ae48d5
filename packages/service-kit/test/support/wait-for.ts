// Waits until `condition` holds, checking every `everyMs`, failing with `what` after `withinMs`.
// Used to wait for asynchronous effects; the bound is a safety net, not a measurement.
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  { withinMs = 15_000, everyMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
