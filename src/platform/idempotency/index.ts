/**
 * `Idempotency-Key` handling for HTTP commands (`API.md`, "Idempotency-Key";
 * docs/adr/0010-idempotency-keys.md): {@link IdempotencyService.execute} in a controller action,
 * fed by {@link IdempotentRequest}, answered with {@link applyIdempotentResult}.
 */
export { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from './idempotency-key.js';
export { IdempotencyModule } from './idempotency.module.js';
export { IdempotencyService } from './idempotency.service.js';
export type {
  IdempotencyRequest,
  IdempotentCommand,
  IdempotentResponse,
  IdempotentResult,
} from './idempotency.service.js';
export { IdempotentRequest, applyIdempotentResult } from './idempotent-request.decorator.js';
export type { StatusResponse } from './idempotent-request.decorator.js';
