import { idempotencyKeyInvalid, idempotencyKeyRequired } from './idempotency.problems.js';

/** The request header carrying the key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The response header marking a replayed response (`true`). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

/**
 * Validates an `Idempotency-Key` header value (`API.md`, "Idempotency-Key") and returns it.
 * @throws ProblemException 400 `idempotency-key-required` when absent, 400 `idempotency-key-invalid`
 * when empty, longer than 255 characters, not a string, or holding a character outside 0x20-0x7E.
 */
export function parseIdempotencyKey(value: unknown): string {
  if (value === undefined || value === null) throw idempotencyKeyRequired();
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) throw idempotencyKeyInvalid();
  return value;
}
