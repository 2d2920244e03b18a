import { Injectable } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';

const runs: Array<Record<string, unknown>> = [];
/** While set, runs of the test task wait for it: lets a test hold a run open. */
let gate: Promise<void> | undefined;

@Injectable()
class GatedTaskOwner {
  constructor(tasks: ScheduledTasks) {
    tasks.register({
      name: 'test-gated-task',
      everyMs: 3_600_000,
      run: async (input) => {
        runs.push(input);
        await gate;
      },
    });
  }
}

describe('scheduled tasks', () => {
  const t = useTestApp({ providers: [GatedTaskOwner] });

  beforeAll(async () => {
    // A job scheduler's first run is due at once: let it pass before the tests count runs.
    await eventually(() => expect(runs).toContainEqual({}));
  });

  it('appear as BullMQ job schedulers, the outbox sweeper and retention included', async () => {
    const schedulers = await t.app.get(ScheduledTasks).queue.getJobSchedulers();
    // Reconcilers and pruners are scheduled tasks too (test/reconciliation/, test/platform/pruning).
    const keys = schedulers.map((s) => s.key).filter((key) => !/^(reconcile|prune)-/.test(key));
    expect(keys.sort()).toEqual(['outbox-retention', 'outbox-sweep', 'test-gated-task']);
  });

  it('run one at a time across processes: a second run while one holds the lock is skipped', async () => {
    const tasks = t.app.get(ScheduledTasks);
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => (open = resolve));
    runs.length = 0;
    try {
      const first = tasks.run('test-gated-task', { n: 1 });
      await eventually(() => expect(runs).toHaveLength(1));
      expect(await tasks.run('test-gated-task', { n: 2 })).toBe(false);
      open();
      expect(await first).toBe(true);
      expect(runs).toEqual([{ n: 1 }]);
    } finally {
      gate = undefined;
      open();
    }
  });

  it('run a run triggered while the task is running after that run, instead of dropping it', async () => {
    const tasks = t.app.get(ScheduledTasks);
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => (open = resolve));
    runs.length = 0;
    try {
      const first = tasks.run('test-gated-task', { n: 1 });
      await eventually(() => expect(runs).toHaveLength(1));
      const jobId = await tasks.trigger('test-gated-task', { n: 2 });
      // The job found the lock taken and waits, delayed, to try again.
      await eventually(async () => expect(await tasks.queue.getJobState(jobId)).toBe('delayed'));
      expect(runs).toEqual([{ n: 1 }]);
      open();
      expect(await first).toBe(true);
      await eventually(() => expect(runs).toEqual([{ n: 1 }, { n: 2 }]));
    } finally {
      gate = undefined;
      open();
    }
  });

  it('run on demand through the scheduler worker with the given input', async () => {
    runs.length = 0;
    await t.app.get(ScheduledTasks).trigger('test-gated-task', { reason: 'manual' });
    await eventually(() => expect(runs).toEqual([{ reason: 'manual' }]));
  });
});

describe('scheduled tasks when the maintenance worker stops fetching', () => {
  // A stall is declared after 6 sweep periods, and never under 10 s (scheduled-tasks.ts).
  const t = useTestApp({ env: { OUTBOX_SWEEP_INTERVAL_MS: '200' } });
  const workerOf = (tasks: ScheduledTasks) => (tasks as unknown as { worker: Worker }).worker;
  const sweepRuns = async (since: Date): Promise<Array<{ slot: Date }>> =>
    t.app
      .get(DataSource)
      .query(`SELECT slot FROM outbox_task_run WHERE task = 'outbox-sweep' AND finished_at > $1 ORDER BY slot`, [
        since,
      ]);

  it('runs the sweep anyway and replaces the worker, after which scheduled runs resume', async () => {
    const tasks = t.app.get(ScheduledTasks);
    await eventually(async () => expect((await sweepRuns(new Date(0))).length).toBeGreaterThan(2));
    // The worker stops taking jobs, as BullMQ's did on a Redis Cluster (docs/adr/0042-scheduled-tasks-watchdog.md).
    const stuck = workerOf(tasks);
    await stuck.pause(true);
    const pausedAt = new Date();

    // Within the stall period and a sweep period or two: a run here, and a new worker.
    await eventually(() => expect(workerOf(tasks)).not.toBe(stuck), { timeoutMs: 20_000, intervalMs: 200 });
    const replacedAt = new Date();
    expect(replacedAt.getTime() - pausedAt.getTime()).toBeGreaterThanOrEqual(9_000);
    const [watchdogRun] = await sweepRuns(pausedAt);
    expect(watchdogRun).toBeDefined();
    // The new worker takes the schedule's jobs again: a run every 200 ms, not one per stall period.
    await eventually(async () => expect((await sweepRuns(replacedAt)).length).toBeGreaterThan(5), {
      timeoutMs: 10_000,
    });
    expect(workerOf(tasks).isRunning()).toBe(true);
  });
});
