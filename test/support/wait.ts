/** Waiting in tests: poll until a condition holds, with a deadline and a message that says what was awaited. */

/**
 * Calls `fn` every `intervalMs` until it returns something other than null (a thrown error
 * counts as "not yet"), and returns that; throws `timed out waiting for <what>` after
 * `timeoutMs`.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | null>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
