import type { NextFunction, Request, Response } from 'express';
import { counter, histogram } from './metric-registry.js';

const LABELS = ['method', 'route', 'status_class'];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CATCH_ALL = /^\{?\/?\*/;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The route template a request matched (`/v1/debts/:id`), never the raw URL, so the label's values
 * are bounded by the routes the app declares; a request no route matched is `unmatched`, and one
 * answered inside a mounted sub-application without a route of its own (Bull Board's static files)
 * is named by its mount point.
 */
export function routeTemplate(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  // Nest answers 404 from a catch-all route (`{/*splat}`): that is no route of the app's.
  if (typeof path === 'string' && !CATCH_ALL.test(path)) return `${request.baseUrl}${path}`;
  if (typeof path === 'string' && request.baseUrl === '') return 'unmatched';
  return request.baseUrl === '' ? 'unmatched' : `${request.baseUrl}/*`;
}

/** `2xx` … `5xx`. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/**
 * An Express middleware, mounted first, that counts every request and observes its latency (until
 * the response is finished or the client went away) by method, route template and status class.
 */
export function httpMetrics(): (request: Request, response: Response, next: NextFunction) => void {
  const requests = counter('http_requests_total', 'HTTP requests answered', LABELS);
  const duration = histogram('http_request_duration_seconds', 'HTTP request latency', LABELS, SECONDS);
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const labels = {
        method: METHODS.has(request.method) ? request.method : 'other',
        route: routeTemplate(request),
        status_class: statusClass(response.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    // `finish`: the whole response was handed to the socket; `close` alone: the client went away first.
    response.once('finish', record);
    response.once('close', record);
    next();
  };
}
