import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { ProblemException } from '../../../platform/index.js';
import { verifyWebhookSignature } from '../gateway/webhook-signature.js';

/**
 * Lets a webhook through only with a valid `X-Gateway-Signature` over its raw body (the bytes the
 * JSON parser kept, `rawBody: true` at app creation). Runs as a guard, so before validation and
 * the handler: an unsigned body is never parsed into a command. Every refusal is the same 400.
 */
@Injectable()
export class GatewaySignatureGuard implements CanActivate {
  private readonly logger = new Logger(GatewaySignatureGuard.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<Request>>();
    const header = request.headers['x-gateway-signature'];
    const check = verifyWebhookSignature(
      Array.isArray(header) ? header.join(',') : header,
      request.rawBody,
      this.config.gatewayWebhookSecret,
      Math.floor(Date.now() / 1000),
    );
    if (check.valid) return true;
    this.logger.warn(`gateway webhook refused: signature ${check.failure}`);
    throw new ProblemException(
      400,
      'webhook-signature-invalid',
      'Invalid signature',
      'The X-Gateway-Signature header is missing, malformed, outside the time tolerance, or does not match the body.',
    );
  }
}
