import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { catchError, type Observable, throwError } from 'rxjs';
import { IdempotencyKeyInUseProblem } from './idempotency.problems.js';

/**
 * Adds `Retry-After` to a 409 `idempotency-key-in-use` answer. The problem filter renders bodies
 * only, so the header is set here, on the way out, before the filter writes the response.
 */
@Injectable()
export class IdempotencyRetryAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof IdempotencyKeyInUseProblem && context.getType() === 'http') {
          const response = context.switchToHttp().getResponse<Response>();
          if (!response.headersSent) response.setHeader('Retry-After', String(error.retryAfterSeconds));
        }
        return throwError(() => error);
      }),
    );
  }
}
