import { ProblemException } from '../http/problem.js';

/** Seconds a client is asked to wait (`Retry-After`) when its key is still in flight. */
export const IN_USE_RETRY_AFTER_SECONDS = 1;

/** 400 `idempotency-key-required`: the route needs an `Idempotency-Key` header and got none. */
export function idempotencyKeyRequired(): ProblemException {
  return new ProblemException(
    400,
    'idempotency-key-required',
    'Idempotency-Key required',
    'This request needs an Idempotency-Key header of 1-255 printable ASCII characters.',
  );
}

/** 400 `idempotency-key-invalid`: the header is empty, too long or has characters outside 0x20-0x7E. */
export function idempotencyKeyInvalid(): ProblemException {
  // The key is not echoed: it is the client's text and may be anything.
  return new ProblemException(
    400,
    'idempotency-key-invalid',
    'Invalid Idempotency-Key',
    'The Idempotency-Key header must be 1-255 printable ASCII characters (0x20-0x7E).',
  );
}

/** 422 `idempotency-key-reused`: the key was used before for a different method, path or body. */
export function idempotencyKeyReused(): ProblemException {
  return new ProblemException(
    422,
    'idempotency-key-reused',
    'Idempotency-Key reused',
    'This Idempotency-Key was already used for a different request (method, path or body); use a new key.',
  );
}

/**
 * 409 `idempotency-key-in-use`: a request with the same key is still being processed. The
 * `Retry-After` header is added on the way out by {@link IdempotencyRetryAfterInterceptor}, since
 * the problem filter renders bodies only.
 */
export class IdempotencyKeyInUseProblem extends ProblemException {
  readonly retryAfterSeconds = IN_USE_RETRY_AFTER_SECONDS;

  constructor() {
    super(
      409,
      'idempotency-key-in-use',
      'Idempotency-Key in use',
      'A request with this Idempotency-Key is still being processed; retry once it has completed.',
    );
  }
}
