import { Injectable } from '@nestjs/common';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const runs: Array<Record<string, unknown>> = [];
let release: () => void = () => undefined;

@Injectable()
class SlowTaskOwner {
  constructor(tasks: ScheduledTasks) {
    tasks.register({
      name: 'test-slow-task',
      everyMs: 3_600_000,
      run: async (input) => {
        runs.push(input);
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
  }
}

describe('scheduled tasks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ providers: [SlowTaskOwner] });
  });
  afterAll(async () => {
    release();
    await t.close();
  });

  it('appear as BullMQ job schedulers, the outbox sweeper and retention included', async () => {
    const schedulers = await t.app.get(ScheduledTasks).queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['outbox-retention', 'outbox-sweep', 'test-slow-task']);
  });

  it('run one at a time across processes: a second run while one holds the lock is skipped', async () => {
    const tasks = t.app.get(ScheduledTasks);
    runs.length = 0;
    const first = tasks.run('test-slow-task', { n: 1 });
    await eventually(() => expect(runs).toHaveLength(1));
    expect(await tasks.run('test-slow-task', { n: 2 })).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(runs).toEqual([{ n: 1 }]);
  });

  it('run on demand through the scheduler worker with the given input', async () => {
    runs.length = 0;
    await t.app.get(ScheduledTasks).trigger('test-slow-task', { reason: 'manual' });
    await eventually(() => expect(runs).toEqual([{ reason: 'manual' }]));
    release();
  });
});
