import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { constantTimeEqual, TokenService } from '../../platform/auth/index.js';
import { LaneQueues } from '../delivery/lane-queues.js';
import { ScheduledTasks } from '../maintenance/scheduled-tasks.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board over every lane queue and the maintenance queue, for admins only: an admin
 * bearer token, or HTTP Basic `ADMIN_USERNAME`/`ADMIN_PASSWORD` so a browser can open it.
 */
export function mountBullBoard(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const queues = [...app.get(LaneQueues).all(), app.get(ScheduledTasks).queue];
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  app.use(BULL_BOARD_PATH, adminOnly(app.get(TokenService), config), serverAdapter.getRouter());
}

function adminOnly(tokens: TokenService, config: AppConfig) {
  return (request: Request, response: Response, next: NextFunction): void => {
    void isAdmin(request.headers.authorization, tokens, config).then((admin) => {
      if (admin) return next();
      response
        .status(401)
        .set('WWW-Authenticate', 'Basic realm="Bull Board", charset="UTF-8"')
        .type('application/problem+json')
        .json({
          type: '/problems/unauthenticated',
          title: 'Unauthorized',
          status: 401,
          detail: 'Admin credentials are required.',
        });
    }, next);
  };
}

async function isAdmin(header: string | undefined, tokens: TokenService, config: AppConfig): Promise<boolean> {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) {
    try {
      return (await tokens.verify(value)).roles.includes('admin');
    } catch {
      return false;
    }
  }
  if (/^basic$/i.test(scheme) && config.adminUsername !== undefined && config.adminPassword !== undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator < 0) return false;
    return (
      constantTimeEqual(decoded.slice(0, separator), config.adminUsername) &&
      constantTimeEqual(decoded.slice(separator + 1), config.adminPassword)
    );
  }
  return false;
}
