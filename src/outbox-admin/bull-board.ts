import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import type { Express, NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { LaneQueues, ScheduledTasks } from '../outbox/host.js';
import { constantTimeEqual, TokenService } from '../platform/auth/index.js';
import { BasicAuthLimiter, clientKey } from './basic-auth-limiter.js';

export const BULL_BOARD_PATH = '/admin/queues';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BASIC_CHALLENGE = 'Basic realm="Bull Board", charset="UTF-8"';

/**
 * Mounts Bull Board over every lane queue and the maintenance queue, for admins only: an admin
 * bearer token, or HTTP Basic `ADMIN_USERNAME`/`ADMIN_PASSWORD` so a browser can open it. Because a
 * browser replays Basic credentials on its own, the board's state-changing API also refuses
 * requests another site could make (docs/adr/0021-bull-board-and-http-hardening.md).
 */
export function mountBullBoard(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const queues = [...app.get(LaneQueues).all(), app.get(ScheduledTasks).queue];
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  const limiter = new BasicAuthLimiter(config.adminAuthFailuresPerMinute);
  // The board is an Express app of its own, which would announce itself again after helmet.
  const board = (serverAdapter.getRouter() as Express).disable('x-powered-by');
  app.use(BULL_BOARD_PATH, adminOnly(app.get(TokenService), config, limiter), sameOriginJsonWrites, board);
}

type Verdict = 'admin' | 'not-admin' | 'unauthenticated' | 'basic-failed' | 'basic-throttled';

function adminOnly(tokens: TokenService, config: AppConfig, limiter: BasicAuthLimiter) {
  return (request: Request, response: Response, next: NextFunction): void => {
    void authenticate(request, tokens, config, limiter).then((verdict) => {
      switch (verdict) {
        case 'admin':
          return next();
        case 'not-admin':
          return refuse(response, 403, 'forbidden', 'Bull Board is for admins only.');
        case 'basic-throttled': {
          const seconds = limiter.retryAfterSeconds(clientKey(request.ip));
          response.set('Retry-After', String(seconds));
          return refuse(response, 429, 'rate-limited', `Too many failed logins; retry in ${seconds} s.`);
        }
        default:
          response.set('WWW-Authenticate', BASIC_CHALLENGE);
          return refuse(response, 401, 'unauthenticated', 'Admin credentials are required.');
      }
    }, next);
  };
}

async function authenticate(
  request: Request,
  tokens: TokenService,
  config: AppConfig,
  limiter: BasicAuthLimiter,
): Promise<Verdict> {
  const header = request.headers.authorization;
  if (!header) return 'unauthenticated';
  const [scheme, value = ''] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) {
    try {
      return (await tokens.verify(value)).roles.includes('admin') ? 'admin' : 'not-admin';
    } catch {
      return 'unauthenticated';
    }
  }
  if (!/^basic$/i.test(scheme)) return 'unauthenticated';
  const client = clientKey(request.ip);
  // Refused before the check, right or wrong, so a throttled guesser learns nothing.
  if (limiter.retryAfterSeconds(client) > 0) return 'basic-throttled';
  if (basicMatches(value, config)) return 'admin';
  limiter.recordFailure(client);
  return 'basic-failed';
}

function basicMatches(value: string, config: AppConfig): boolean {
  if (config.adminUsername === undefined || config.adminPassword === undefined) return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  return (
    constantTimeEqual(decoded.slice(0, separator), config.adminUsername) &&
    constantTimeEqual(decoded.slice(separator + 1), config.adminPassword)
  );
}

/**
 * State-changing requests must come from the board's own page: a form another site posts (or a
 * no-cors fetch) carries a form or text content type and a foreign `Origin`/`Sec-Fetch-Site`. The
 * board's UI sends JSON or no body at all, from this origin. A missing `Origin` is allowed, since
 * browsers send it on every non-GET request and tools such as curl do not act on a user's behalf.
 */
function sameOriginJsonWrites(request: Request, response: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(request.method)) return next();
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return refuse(response, 403, 'forbidden', 'Cross-site requests to Bull Board are refused.');
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, request.headers.host)) {
    return refuse(response, 403, 'forbidden', 'Cross-origin requests to Bull Board are refused.');
  }
  if (request.headers['content-type'] !== undefined && !request.is(['json', '+json'])) {
    return refuse(response, 415, 'unsupported-media-type', 'Bull Board accepts JSON bodies only.');
  }
  next();
}

/**
 * Compares host and port only: behind a TLS-terminating proxy the app sees `http` while the page's
 * origin is `https`, and the scheme adds nothing once the host is the app's own.
 */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const page = new URL(origin);
    const app = new URL(`${page.protocol}//${host}`);
    return page.hostname === app.hostname && page.port === app.port;
  } catch {
    return false; // `null` (sandboxed frames, some redirects) and anything unparseable
  }
}

function refuse(response: Response, status: number, slug: string, detail: string): void {
  response
    .status(status)
    .type('application/problem+json')
    .json({ type: `/problems/${slug}`, title: STATUS_CODES[status] ?? 'Error', status, detail });
}
