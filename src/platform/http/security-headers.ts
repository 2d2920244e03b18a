import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';

/**
 * Paths that serve HTML user interfaces (Swagger UI, Bull Board) and so need a CSP that lets
 * their own scripts, inline styles and data: images load; everything else is JSON.
 */
export const UI_PATH_PREFIXES = ['/docs', '/admin/queues'] as const;

/** The API answers JSON only: nothing in a response may load, run, submit or be framed. */
const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Both UIs load scripts only from this origin (Bull Board's inline `<script>` is a JSON data block,
 * never run); they need inline `style` attributes and `<style>` elements, and data: images (Swagger
 * UI's icons). No `upgrade-insecure-requests`: over plain HTTP in development it would send the
 * UIs' own assets to an HTTPS port that does not exist. Bull Board's Google Fonts stylesheet is
 * refused on purpose (it falls back to system fonts): a third-party stylesheet could read the page.
 */
const UI_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Whether `path` is one of the HTML UIs (the prefix itself or below it, not `/docs-json`). */
export function isUiPath(path: string): boolean {
  return UI_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Helmet's headers on every response (HSTS, nosniff, `X-Frame-Options: DENY`, referrer and
 * cross-origin policies, ...), with a strict CSP for the API and a relaxed one for the two UIs
 * (docs/adr/0021-bull-board-and-http-hardening.md).
 */
export function securityHeaders(): RequestHandler {
  const common = helmet({ contentSecurityPolicy: false, xFrameOptions: { action: 'deny' } });
  const apiCsp = contentSecurityPolicy({ useDefaults: false, directives: API_CSP });
  const uiCsp = contentSecurityPolicy({ useDefaults: false, directives: UI_CSP });
  return (request: Request, response: Response, next: NextFunction) => {
    common(request, response, (error?: unknown) => {
      if (error) return next(error);
      (isUiPath(request.path) ? uiCsp : apiCsp)(request, response, next);
    });
  };
}
