import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { DelayedError, type Job, type Queue, type Worker } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { QueueBackend } from '../redis/redis-connections.js';
import { sessionPool } from '../sql/session-pool.js';

export const MAINTENANCE_QUEUE = 'maintenance';
const TASK_NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;
/** How long a triggered run that found its task running waits before trying again. */
const TRIGGERED_RUN_RETRY_MS = 500;
/** Who ran a task, in outbox_task_run. */
const RAN_BY = `${hostname()}:${process.pid}`;
/**
 * The schedule is stalled when its most frequent task (the sweeper) has had no run anywhere for this
 * many of its periods, and at least {@link MIN_STALL_MS} (docs/adr/0042-scheduled-tasks-watchdog.md).
 */
const STALL_PERIODS = 6;
const MIN_STALL_MS = 10_000;

/** A job scheduler's job is `repeat:<scheduler id>:<slot millis>`: one job, so one run, per slot. */
function slotOf(job: Job): Date {
  const millis = Number(job.id?.split(':').at(-1));
  return new Date(Number.isSafeInteger(millis) ? millis : job.timestamp);
}

interface SessionConnection {
  query<R>(text: string, values: unknown[]): Promise<R[]>;
  release(): Promise<void> | void;
}

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
 * a watchdog runs the sweep and replaces the worker when the schedule stalls ({@link watchSchedule});
 * each run holds a Postgres advisory lock, so runs of one task never overlap across processes.
 * Register tasks before the application bootstraps (in a constructor or `onModuleInit`).
 */
@Injectable()
export class ScheduledTasks implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ScheduledTasks.name);
  private readonly tasks = new Map<string, ScheduledTask>();
  readonly queue: Queue;
  private worker?: Worker;
  /** When this process's worker started: a new worker gets a whole stall period before it is judged. */
  private workerStartedAt = 0;
  private refreshTimer?: NodeJS.Timeout;
  private watching = false;
  private stopping = false;
  private directPool?: pg.Pool;

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly backend: QueueBackend,
    private readonly dataSource: DataSource,
  ) {
    this.queue = backend.queue(MAINTENANCE_QUEUE);
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
      this.watchSchedule().catch((error: Error) => this.logger.warn(`schedule check failed: ${error.message}`));
    }, this.config.sweepIntervalMs);
    this.startWorker();
  }

  private startWorker(): Worker {
    const worker = this.backend.worker(MAINTENANCE_QUEUE, (job, token) => this.process(job, token), {
      concurrency: 2,
    });
    worker.on('error', (error) => this.logger.warn(`maintenance worker: ${error.message}`));
    this.worker = worker;
    this.workerStartedAt = Date.now();
    return worker;
  }

  /**
   * The sweeper is the safety net for lost queue work, so it must not depend on the queue staying
   * healthy. BullMQ's worker can stop fetching for good (seen on a Redis Cluster: its fetch waited
   * forever with jobs waiting, before BullMQ's own watchdog for a blocked command). When the most frequent
   * task has had no run anywhere for a stall period and nobody holds its lock (a long run is not a
   * stall), this process runs it here, records the run, and replaces its worker.
   */
  private async watchSchedule(): Promise<void> {
    const canary = [...this.tasks.values()].sort((a, b) => a.everyMs - b.everyMs)[0];
    if (canary === undefined || this.watching || this.worker === undefined) return;
    this.watching = true;
    try {
      const stallMs = Math.max(STALL_PERIODS * canary.everyMs, MIN_STALL_MS);
      if (Date.now() - this.workerStartedAt < stallMs) return;
      const [latest] = await this.dataSource.query<Array<{ age_ms: number }>>(
        `SELECT (extract(epoch FROM now() - finished_at) * 1000)::float8 AS age_ms
           FROM outbox_task_run WHERE task = $1 ORDER BY slot DESC LIMIT 1`,
        [canary.name],
      );
      if (latest !== undefined && latest.age_ms < stallMs) return;
      const startedAt = new Date();
      if (!(await this.run(canary.name))) return;
      await this.recordRun(canary.name, startedAt, startedAt);
      this.logger.warn(
        `no scheduled run of "${canary.name}" for ${Math.round(stallMs / 1000)} s: ran it here and replaced the maintenance worker`,
      );
      if (this.stopping) return; // shutting down: the worker is being closed anyway
      const stalled = this.worker;
      this.startWorker();
      await this.backend.close(stalled);
    } finally {
      this.watching = false;
    }
  }

  private async upsertSchedules(): Promise<void> {
    const opts = { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
    for (const task of this.tasks.values()) {
      await this.queue.upsertJobScheduler(task.name, { every: task.everyMs }, { name: task.name, opts });
    }
  }

  private async process(job: Job, token: string | undefined): Promise<boolean> {
    const startedAt = new Date();
    const ran = await this.run(job.name, job.data as Record<string, unknown>);
    if (ran && job.repeatJobKey !== undefined) await this.recordRun(job.name, slotOf(job), startedAt);
    if (ran || job.repeatJobKey !== undefined) return ran;
    await job.moveToDelayed(Date.now() + TRIGGERED_RUN_RETRY_MS, token);
    throw new DelayedError();
  }

  /**
   * A scheduled run that did its work, by slot (the job scheduler's time for it) and process: with
   * several scheduler processes each slot must appear once (outbox_task_run, docs/scaling.md).
   */
  private async recordRun(task: string, slot: Date, startedAt: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO outbox_task_run (task, slot, ran_by, started_at) VALUES ($1, $2, $3, $4)`,
      [task, slot, RAN_BY, startedAt],
    );
  }

  /** Deletes at most `limit` run records older than `before`; returns how many. */
  async pruneRunRecords(before: Date, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM outbox_task_run WHERE id IN (SELECT id FROM outbox_task_run WHERE finished_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return deleted;
  }

  /** Runs `name` unless another process is running it; returns false when skipped. */
  async run(name: string, input: Record<string, unknown> = {}): Promise<boolean> {
    const task = this.tasks.get(name);
    if (!task) throw new Error(`unknown task "${name}"`);
    const session = await this.session();
    try {
      const [{ locked }] = await session.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`,
        [`task:${name}`],
      );
      if (!locked) return false;
      try {
        await task.run(input);
        return true;
      } finally {
        await session.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`task:${name}`]);
      }
    } finally {
      await session.release();
    }
  }

  /**
   * A connection that keeps its session for as long as it is held, as a session advisory lock
   * needs: from the app's pool, or, behind a transaction pooler (which would hand the lock's
   * server connection to someone else after the statement), from a small direct pool.
   */
  private async session(): Promise<SessionConnection> {
    const directUrl = this.config.databaseDirectUrl;
    if (directUrl === undefined) {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      return {
        query: async <R>(text: string, values: unknown[]) => (await runner.query(text, values)) as R[],
        release: () => runner.release(),
      };
    }
    if (this.directPool === undefined) {
      this.directPool = sessionPool(
        { connectionString: directUrl, max: 2, application_name: 'debts-hub-tasks' },
        this.logger,
        'scheduled-task lock',
      );
    }
    const client = await this.directPool.connect();
    let lost: Error | undefined;
    const onError = (error: Error) => (lost = error);
    client.on('error', onError);
    return {
      query: async <R>(text: string, values: unknown[]) =>
        (await client.query<R & pg.QueryResultRow>(text, values)).rows,
      release: async () => {
        client.off('error', onError);
        client.release(lost);
      },
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.refreshTimer);
    if (this.worker) await this.backend.close(this.worker, this.config.shutdownTimeoutMs);
    await this.backend.close(this.queue);
    await this.directPool?.end();
  }
}
