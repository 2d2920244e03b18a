import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyRetryAfterInterceptor } from './idempotency-retry-after.interceptor.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Provides {@link IdempotencyService} to every module (global, like authentication) and adds
 * `Retry-After` to every 409 `idempotency-key-in-use` answer.
 */
@Global()
@Module({
  providers: [IdempotencyService, { provide: APP_INTERCEPTOR, useClass: IdempotencyRetryAfterInterceptor }],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
