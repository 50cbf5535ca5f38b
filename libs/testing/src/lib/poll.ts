export interface PollOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between attempts; the probe itself is the readiness signal, this only paces it. */
  intervalMs?: number;
  /** Stops polling early, e.g. when the process being waited for has already exited. */
  abort?: () => Error | undefined;
}

/** Retries `probe` until it resolves true, `abort` reports an error, or the deadline passes. */
export async function pollUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: PollOptions,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 25;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    if (await probe().catch(() => false)) return;
    if (Date.now() >= deadline)
      throw new Error(`${what} was not ready within ${opts.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Polls `probe` until it returns something other than undefined/false and returns that, or fails
 * at the deadline with the last error the probe threw.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
