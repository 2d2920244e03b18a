import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { AppConfig } from '../../config/index.js';
import { correlationIdFrom, runWithCorrelation } from '../context/index.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * HTTP concerns that live outside Nest's module graph: the correlation context (first, so every
 * log line of the request carries it), body limits, CORS and the OpenAPI document. The app and
 * the end-to-end tests both call this, so tests exercise the real pipeline.
 */
export function configureHttp(
  app: INestApplication,
  config: AppConfig,
  /** Routes whose bodies may exceed HTTP_BODY_LIMIT (path → limit), e.g. batch uploads. */
  largerBodyLimits: Record<string, string> = {},
): void {
  const express = app as NestExpressApplication;
  express.use((request: Request, response: Response, next: NextFunction) => {
    const correlationId = correlationIdFrom(request.headers['x-correlation-id']);
    response.setHeader(CORRELATION_HEADER, correlationId);
    runWithCorrelation({ correlationId }, next);
  });
  // request.ip (rate limits, logs) is the address TRUST_PROXY_HOPS proxies in front reported: with
  // n hops, the n-th X-Forwarded-For entry from the right; with 0 the header is ignored.
  express.set('trust proxy', config.trustProxyHops);
  express.disable('x-powered-by');
  // Registered first, so their parser reads the body and the general one below skips it.
  for (const [path, limit] of Object.entries(largerBodyLimits)) express.use(path, json({ limit }));
  express.useBodyParser('json', { limit: config.httpBodyLimit });
  express.useBodyParser('urlencoded', { limit: config.httpBodyLimit, extended: false });
  express.enableCors(
    config.corsOrigins.length > 0
      ? { origin: config.corsOrigins, exposedHeaders: [CORRELATION_HEADER, 'Retry-After', 'Idempotent-Replayed'] }
      : { origin: false },
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Debts Hub')
      .setDescription('REST contract v1 (see API.md)')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
