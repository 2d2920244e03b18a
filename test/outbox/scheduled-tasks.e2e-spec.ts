import { Injectable } from '@nestjs/common';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

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
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ providers: [GatedTaskOwner] });
    // A job scheduler's first run is due at once: let it pass before the tests count runs.
    await eventually(() => expect(runs).toContainEqual({}));
  });
  afterAll(() => t.close());

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
