import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Worker } from 'bullmq';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { LANES } from '../catalogue/event-contract.js';
import { QueueBackend } from '../redis/redis-connections.js';
import { DeliveryProcessor } from './delivery-processor.js';
import type { DeliveryJobData } from './lane-queues.js';

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
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly backend: QueueBackend,
    private readonly processor: DeliveryProcessor,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.roles.has('worker')) return;
    for (const lane of LANES) {
      const worker = this.backend.worker<DeliveryJobData>(lane, (job, token) => this.processor.process(job, token), {
        concurrency: this.config.laneConcurrency[lane],
        lockDuration: this.config.jobLockMs,
        stalledInterval: this.config.stalledIntervalMs,
      });
      worker.on('error', (error) => this.logger.warn(`worker ${lane}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  /** Waits for the active jobs, within the shutdown budget; past it the workers' connections are cut. */
  async beforeApplicationShutdown(): Promise<void> {
    const budget = this.config.shutdownTimeoutMs;
    await Promise.all(this.workers.map((worker) => this.backend.close(worker, budget)));
    this.workers.length = 0;
  }
}
