import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { Worker } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { LANES } from '../catalogue/event-contract.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { DeliveryProcessor } from './delivery-processor.js';
import { type DeliveryJobData, LaneQueues } from './lane-queues.js';

/**
 * The `worker` role: one BullMQ worker per lane with that lane's concurrency, so a flood in
 * `bulk` never occupies `critical`'s slots. Closed before the database pool on shutdown, after
 * their active jobs finish.
 */
@Injectable()
export class DeliveryWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorkers.name);
  private readonly workers: Worker<DeliveryJobData>[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    private readonly queues: LaneQueues,
    private readonly processor: DeliveryProcessor,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.roles.has('worker')) return;
    for (const lane of LANES) {
      const worker = new Worker<DeliveryJobData>(lane, (job, token) => this.processor.process(job, token), {
        connection: this.redis.worker(),
        prefix: this.queues.prefix,
        concurrency: this.config.outbox.laneConcurrency[lane],
        lockDuration: this.config.outbox.jobLockMs,
        stalledInterval: this.config.outbox.stalledIntervalMs,
      });
      worker.on('error', (error) => this.logger.warn(`worker ${lane}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    this.workers.length = 0;
  }
}
