import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { type AuthenticatedRequest, principalScope } from '../auth/index.js';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency-key.js';
import type { IdempotencyRequest, IdempotentResult } from './idempotency.service.js';

/**
 * Injects the {@link IdempotencyRequest} of the current HTTP request: the principal's roles and
 * `sub` as the scope ({@link principalScope}: a citizen and a customer with the same id never share keys), the raw `Idempotency-Key` header, the method, the path (no query string) and the body as
 * received. Pass it to {@link IdempotencyService.execute}, which validates the key. It also
 * documents the required header in the OpenAPI document.
 *
 * ```ts
 * @Post('payments')
 * async pay(@Body() dto: PayDto, @IdempotentRequest() keyed: IdempotencyRequest,
 *           @Res({ passthrough: true }) res: Response): Promise<PaymentView> {
 *   const result = await this.idempotency.execute(keyed, async (tx) => ({ status: 202, body: await this.payments.start(tx, dto) }));
 *   return applyIdempotentResult(res, result);
 * }
 * ```
 * The route must require authentication (keys are scoped by principal); on a `@Public()` route
 * without a token this throws a plain error, i.e. a 500.
 */
export const IdempotentRequest = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyRequest => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.principal) {
      throw new Error('@IdempotentRequest() needs an authenticated route: idempotency keys are scoped by principal');
    }
    const header = request.headers['idempotency-key'];
    return {
      scope: principalScope(request.principal),
      key: Array.isArray(header) ? header.join(', ') : header,
      method: request.method,
      path: request.originalUrl.split('?')[0],
      body: request.body,
    };
  },
  [
    (target, key) => {
      const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
      if (!descriptor || key === undefined) return;
      ApiHeader({
        name: IDEMPOTENCY_KEY_HEADER,
        required: true,
        description:
          'Unique per intended operation, 1-255 printable ASCII characters. Retrying with the same key and body ' +
          `replays the first answer (header ${IDEMPOTENT_REPLAYED_HEADER}: true).`,
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
      })(target, key, descriptor);
    },
  ],
);

/** The part of an Express response {@link applyIdempotentResult} needs. */
export interface StatusResponse {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

/**
 * Applies `result` to the response of a `@Res({ passthrough: true })` handler: sets its status,
 * and `Idempotent-Replayed: true` when it is a replay. Returns the body for the handler to return.
 */
export function applyIdempotentResult<T>(response: StatusResponse, result: IdempotentResult<T>): T {
  response.status(result.status);
  if (result.replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return result.body;
}
