import { timingSafeEqual } from 'node:crypto';

/** Compares secrets without leaking, through timing, how much of them matched. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
