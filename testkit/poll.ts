// Waiting without sleeps: every wait here is "check a condition until it holds or a deadline passes".

export interface PollOptions {
  /** What we are waiting for, used in the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than `undefined`, and returns that value.
 * Errors thrown by `check` count as "not yet" (the last one is reported on timeout), so callers
 * can poll endpoints that 404 until the data has arrived.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const { what, timeoutMs = 30_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError === undefined ? '' : ` (last error: ${describe(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
