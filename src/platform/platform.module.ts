import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AccessGuard, AuthModule } from './auth/index.js';
import { HealthModule } from './health/health.module.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { IdempotencyModule } from './idempotency/index.js';
import { PrincipalThrottlerGuard } from './throttling/principal-throttler.guard.js';
import { throttlingModule } from './throttling/throttling.module.js';
import { TracingShutdown } from './tracing/tracing-shutdown.js';

/**
 * Cross-cutting HTTP pieces every route gets: problem+json errors, strict validation,
 * authentication then rate limiting then authorisation, health.
 */
@Module({
  imports: [AuthModule, throttlingModule, HealthModule, IdempotencyModule],
  controllers: [MetricsController],
  providers: [
    TracingShutdown,
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Guards run in this order: rate limits count refused calls too, then access is decided.
    { provide: APP_GUARD, useClass: PrincipalThrottlerGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class PlatformModule {}
