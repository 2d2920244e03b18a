import type { ReconciliationWindow } from './reconciler.js';

/**
 * The window of a run that starts at `at`: the schedule slot containing `at` is
 * `[k * everyMs, (k + 1) * everyMs)` with `k = floor(at / everyMs)` (slots aligned to the Unix epoch,
 * so every process computes the same ones), and the window is the `windowMs` that end where that
 * slot ends. Any run started in the same slot gets the same window, hence the same finding keys.
 */
export function windowAt(at: Date, everyMs: number, windowMs: number = everyMs): ReconciliationWindow {
  if (!Number.isSafeInteger(everyMs) || everyMs <= 0) throw new Error(`everyMs must be a positive integer`);
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new Error(`windowMs must be a positive integer`);
  const end = (Math.floor(at.getTime() / everyMs) + 1) * everyMs;
  return { from: new Date(end - windowMs), to: new Date(end) };
}

/**
 * A finding's deterministic key: (reconciler, rules version, window, subject). Plain text, so an
 * admin can read it; the subject comes last, so a `|` inside it cannot make two keys collide.
 */
export function findingKey(
  reconciler: string,
  rulesVersion: number,
  window: ReconciliationWindow,
  subject: string,
): string {
  return `${reconciler}|v${rulesVersion}|${window.from.toISOString()}|${window.to.toISOString()}|${subject}`;
}
