import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { LaneQueues } from '../delivery/lane-queues.js';
import { RedisConnections } from '../redis/redis-connections.js';

export const MAINTENANCE_QUEUE = 'maintenance';
const TASK_NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;
/** How long a triggered run that found its task running waits before trying again. */
const TRIGGERED_RUN_RETRY_MS = 500;

/** Work that runs on a schedule, one run at a time across every process. */
export interface ScheduledTask {
  /** Stable name: the job scheduler id and the advisory lock derive from it. */
  name: string;
  everyMs: number;
  /** `input` is what {@link ScheduledTasks.trigger} passed, or empty for a scheduled run. */
  run(input: Record<string, unknown>): Promise<unknown>;
}

/**
 * Scheduled tasks (the sweeper, retention, reconcilers) on BullMQ job schedulers, so they are
 * visible in Bull Board. The `scheduler` role upserts the schedulers at start and again every
 * sweep interval (they come back by themselves after Redis loses its keys) and runs the jobs;
 * each run holds a Postgres advisory lock, so runs of one task never overlap across processes.
 * Register tasks before the application bootstraps (in a constructor or `onModuleInit`).
 */
@Injectable()
export class ScheduledTasks implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ScheduledTasks.name);
  private readonly tasks = new Map<string, ScheduledTask>();
  readonly queue: Queue;
  private worker?: Worker;
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    queues: LaneQueues,
    private readonly dataSource: DataSource,
  ) {
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection: redis.producer(), prefix: queues.prefix });
    this.queue.on('error', (error) => this.logger.warn(`queue ${MAINTENANCE_QUEUE}: ${error.message}`));
  }

  register(task: ScheduledTask): void {
    if (!TASK_NAME.test(task.name)) throw new Error(`task name "${task.name}" must match ${TASK_NAME}`);
    if (this.tasks.has(task.name)) throw new Error(`task "${task.name}" is registered twice`);
    this.tasks.set(task.name, task);
  }

  /**
   * Asks for a run now (by whichever scheduler process takes the job); returns the job id. If a run
   * of the task is in progress, the requested run waits for it and runs afterwards (a scheduled run
   * that finds its task running is skipped instead: the next one is never far off).
   */
  async trigger(name: string, input: Record<string, unknown> = {}): Promise<string> {
    if (!this.tasks.has(name)) throw new Error(`unknown task "${name}"`);
    const job = await this.queue.add(name, input, {
      jobId: `${name}-manual-${uuidv7()}`,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    });
    return job.id!;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.roles.has('scheduler')) return;
    await this.upsertSchedules();
    this.refreshTimer = setInterval(() => {
      this.upsertSchedules().catch((error: Error) => this.logger.warn(`scheduler refresh failed: ${error.message}`));
    }, this.config.outbox.sweepIntervalMs);
    this.worker = new Worker(MAINTENANCE_QUEUE, (job, token) => this.process(job, token), {
      connection: this.redis.worker(),
      prefix: this.queue.opts.prefix,
      concurrency: 2,
    });
    this.worker.on('error', (error) => this.logger.warn(`maintenance worker: ${error.message}`));
  }

  private async upsertSchedules(): Promise<void> {
    const opts = { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
    for (const task of this.tasks.values()) {
      await this.queue.upsertJobScheduler(task.name, { every: task.everyMs }, { name: task.name, opts });
    }
  }

  private async process(job: Job, token: string | undefined): Promise<boolean> {
    const ran = await this.run(job.name, job.data as Record<string, unknown>);
    if (ran || job.repeatJobKey !== undefined) return ran;
    await job.moveToDelayed(Date.now() + TRIGGERED_RUN_RETRY_MS, token);
    throw new DelayedError();
  }

  /** Runs `name` unless another process is running it; returns false when skipped. */
  async run(name: string, input: Record<string, unknown> = {}): Promise<boolean> {
    const task = this.tasks.get(name);
    if (!task) throw new Error(`unknown task "${name}"`);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`task:${name}`]);
      if (!locked) return false;
      try {
        await task.run(input);
        return true;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`task:${name}`]);
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
