import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { AppConfig } from '../../config/index.js';
import { correlationIdFrom, runWithCorrelation } from '../context/index.js';
import { httpMetrics } from '../metrics/http-metrics.js';
import { httpTracing } from '../tracing/http-tracing.js';
import { problemType } from './problem.js';
import { securityHeaders } from './security-headers.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * HTTP concerns that live outside Nest's module graph: the correlation context (first, so every
 * log line of the request carries it), security headers, JSON-only bodies and their limits, CORS
 * and the OpenAPI document (when `DOCS_ENABLED`). The app and the end-to-end tests both call this,
 * so tests exercise the real pipeline.
 */
export function configureHttp(
  app: INestApplication,
  config: AppConfig,
  /** Routes whose bodies may exceed HTTP_BODY_LIMIT (path → limit), e.g. batch uploads. */
  largerBodyLimits: Record<string, string> = {},
): void {
  const express = app as NestExpressApplication;
  // First, so every answer is counted and timed, including refusals by the middleware below.
  express.use(httpMetrics());
  express.use(httpTracing());
  express.use((request: Request, response: Response, next: NextFunction) => {
    const correlationId = correlationIdFrom(request.headers['x-correlation-id']);
    response.setHeader(CORRELATION_HEADER, correlationId);
    runWithCorrelation({ correlationId }, next);
  });
  // Before anything that can answer, so 404s, problems and body-parser errors carry them too.
  express.use(securityHeaders());
  // request.ip (rate limits, logs) is the address TRUST_PROXY_HOPS proxies in front reported: with
  // n hops, the n-th X-Forwarded-For entry from the right; with 0 the header is ignored.
  express.set('trust proxy', config.trustProxyHops);
  express.disable('x-powered-by');
  // No ETag: nothing in the contract uses conditional requests, and Express would hash every
  // response body to make one.
  express.disable('etag');
  express.use(jsonBodiesOnly);
  // Registered first, so their parser reads the body and the general one below skips it.
  for (const [path, limit] of Object.entries(largerBodyLimits)) express.use(path, json({ limit }));
  express.useBodyParser('json', { limit: config.httpBodyLimit });
  express.enableCors(
    config.corsOrigins.length > 0
      ? { origin: config.corsOrigins, exposedHeaders: [CORRELATION_HEADER, 'Retry-After', 'Idempotent-Replayed'] }
      : { origin: false },
  );

  if (!config.docsEnabled) return;
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

/**
 * The API speaks JSON only (`API.md`): a body of any other type is refused before a handler sees
 * it, so an HTML form posted from another site (urlencoded, multipart or text/plain, the types a
 * browser sends cross-site without asking) never reaches one.
 */
function jsonBodiesOnly(request: Request, response: Response, next: NextFunction): void {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody || request.is(['json', '+json'])) return next();
  response
    .status(415)
    .type('application/problem+json')
    .json({
      type: problemType('unsupported-media-type'),
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Request bodies must be JSON (Content-Type: application/json).',
    });
}
