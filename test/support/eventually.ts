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
