import { Module } from '@nestjs/common';
import { OutboxAdminController } from './outbox-admin.controller.js';

/**
 * The outbox's admin routes (`/admin/outbox/...`), served by the host with its own HTTP conventions
 * (authentication and roles, problem+json, cursors, OpenAPI) over the services the outbox exports
 * through `src/outbox/host.ts`. Bull Board is mounted by {@link mountBullBoard `mountBullBoard`} at bootstrap.
 */
@Module({ controllers: [OutboxAdminController] })
export class OutboxAdminModule {}
