import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { Public } from '../auth/index.js';
import { QUEUE_ENGINE, type QueueEngine } from '../engines/queue-engine.port.js';

const CHECK_TIMEOUT_MS = 1500;

/**
 * Liveness (the process answers) and readiness (database, the queue backend, migrations applied).
 * The queue check is named `redis` on Redis and `queues` on PostgreSQL (ADR 0035); on Redis it shows
 * the topology (`standalone`, `sentinel` with its current master, `cluster` with the slots its
 * masters cover: ADR 0040).
 */
@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    @Inject(QUEUE_ENGINE) private readonly queues: QueueEngine,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.connection = config.databaseDirectUrl === undefined ? 'direct' : 'pooled';
  }

  private readonly connection: 'direct' | 'pooled';

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * 503 with terminus's body (`status`, `info`, `error`, `details` per check), not a problem
   * document: a probe or an operator sees which dependency is down, and a not-ready instance is
   * an expected state, not an error to log at every probe.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) response: Response) {
    try {
      return await this.checkReadiness();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(error.getStatus());
      return error.getResponse();
    }
  }

  private checkReadiness() {
    return this.health.check([
      async () => {
        const result = await this.database.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS);
        // Pooled: DATABASE_URL is a transaction pooler, sessions go to DATABASE_DIRECT_URL (ADR 0038).
        return { database: { ...result.database, connection: this.connection } };
      },
      () =>
        this.indicators
          .check(this.queues.kind === 'redis' ? 'redis' : 'queues')
          .attempt(() => this.queues.ping())
          .withTimeout(CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('migrations')
          .attempt(async () => {
            if (await this.dataSource.showMigrations()) throw new Error('pending migrations');
          })
          .withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }
}
