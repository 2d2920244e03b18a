import { settleWithin } from './deadline.js';

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns without throwing (assertions inside it included) and returns
 * its value; after `timeoutMs` rethrows the last failure. Asynchronous effects are awaited with
 * this, never with fixed sleeps. A probe that never settles (a client stuck on a server that is
 * gone) fails once the deadline has passed, rather than holding the test forever.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = probe();
      if (!(value instanceof Promise)) return value;
      return await settleWithin(value, Math.max(0, deadline - Date.now()), () => {
        const after = lastError instanceof Error ? `; the attempt before failed: ${lastError.message}` : '';
        return new Error(`eventually: the probe was still pending at the deadline${after}`);
      });
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export interface ConsistentlyOptions {
  /** How long the probe must keep passing. */
  within: number;
  intervalMs?: number;
}

/**
 * The counterpart of {@link eventually} for "nothing else happens": polls `probe` until `within`
 * ms have passed and fails at the first attempt that throws, with that failure. The one bounded
 * wait the tests may make, because the window is the assertion (no duplicate effect, no second
 * NOTIFY, a request still blocked); it never waits for an outcome.
 */
export async function consistently(
  probe: () => unknown,
  { within, intervalMs = 25 }: ConsistentlyOptions,
): Promise<void> {
  const started = Date.now();
  const deadline = started + within;
  for (;;) {
    try {
      await settleWithin(Promise.resolve().then(probe), Math.max(within, 5_000), () => {
        return new Error(`consistently: the probe was still pending ${Math.max(within, 5_000)} ms after it started`);
      });
    } catch (error) {
      if (error instanceof Error)
        error.message = `consistently: failed after ${Date.now() - started} ms of ${within}: ${error.message}`;
      throw error;
    }
    const left = deadline - Date.now();
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}
