import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { LaneQueues } from '../delivery/lane-queues.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { Retention } from './retention.js';
import { Sweeper } from './sweeper.js';

export const MAINTENANCE_QUEUE = 'maintenance';
// Distinct advisory lock keys per task: one run at a time across every process.
const LOCK_KEYS = { sweep: 7_340_113, retention: 7_340_114 } as const;
type Task = keyof typeof LOCK_KEYS;

/**
 * The `scheduler` role: BullMQ job schedulers (visible in Bull Board) trigger the sweeper and the
 * retention pruning. Schedulers are upserted again periodically, so they come back by themselves
 * after Redis loses its keys; each run holds a Postgres advisory lock, so runs never overlap.
 */
@Injectable()
export class Maintenance implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Maintenance.name);
  readonly queue: Queue;
  private worker?: Worker;
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    queues: LaneQueues,
    private readonly dataSource: DataSource,
    private readonly sweeper: Sweeper,
    private readonly retention: Retention,
  ) {
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection: redis.producer(), prefix: queues.prefix });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.roles.has('scheduler')) return;
    await this.upsertSchedules();
    this.refreshTimer = setInterval(() => {
      this.upsertSchedules().catch((error: Error) => this.logger.warn(`scheduler refresh failed: ${error.message}`));
    }, this.config.outbox.sweepIntervalMs);
    this.worker = new Worker(MAINTENANCE_QUEUE, (job) => this.run(job.name as Task), {
      connection: this.redis.worker(),
      prefix: this.queue.opts.prefix,
      concurrency: 1,
    });
    this.worker.on('error', (error) => this.logger.warn(`maintenance worker: ${error.message}`));
  }

  private async upsertSchedules(): Promise<void> {
    const options = { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
    await this.queue.upsertJobScheduler(
      'outbox-sweep',
      { every: this.config.outbox.sweepIntervalMs },
      { name: 'sweep', opts: options },
    );
    await this.queue.upsertJobScheduler(
      'outbox-retention',
      { every: this.config.outbox.retentionIntervalMs },
      { name: 'retention', opts: options },
    );
  }

  /** Runs `task` unless another process is running it; returns false when skipped. */
  async run(task: Task): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [LOCK_KEYS[task]]);
      if (!locked) return false;
      try {
        if (task === 'sweep') await this.sweeper.sweep();
        else await this.retention.prune();
        return true;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [LOCK_KEYS[task]]);
      }
    } finally {
      await runner.release();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.refreshTimer);
    await this.worker?.close();
    await this.queue.close();
  }
}
