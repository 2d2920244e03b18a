import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyKeyPruner } from './idempotency-key.pruner.js';
import { IdempotencyRetryAfterInterceptor } from './idempotency-retry-after.interceptor.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Provides {@link IdempotencyService} to every module (global, like authentication), adds
 * `Retry-After` to every 409 `idempotency-key-in-use` answer, and prunes expired keys.
 */
@Global()
@Module({
  providers: [
    IdempotencyService,
    IdempotencyKeyPruner,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyRetryAfterInterceptor },
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
