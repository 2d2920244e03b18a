import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from '../metrics/http-metrics.js';
import { startSpan, tracingEnabled, withSpan } from './tracing.js';

/**
 * An Express middleware that opens a server span per request (a child of the caller's W3C
 * `traceparent` header when there is one) and keeps it active for everything the request runs, so
 * the outbox append of a command is its child. Named by route template when the response ends.
 * A no-op when tracing is off.
 */
export function httpTracing(): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    if (!tracingEnabled()) return next();
    const parent = propagation.extract(context.active(), request.headers);
    const span = startSpan(request.method, {
      kind: SpanKind.SERVER,
      parent,
      attributes: { 'http.request.method': request.method, 'url.path': request.path },
    })!;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeTemplate(request);
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    response.once('finish', end);
    response.once('close', end);
    withSpan(span, next);
  };
}
