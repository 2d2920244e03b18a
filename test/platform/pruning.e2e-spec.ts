import { DiscoveryService, Reflector } from '@nestjs/core';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { PRUNER, type Pruner } from '../../src/platform/index.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';

const BATCH = 50;
const INTERVAL_MS = 600_000;
const RETENTION_HOURS = 48;

async function metricValue(name: string, pruner: string): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  return metric?.values.find((v) => v.labels.pruner === pruner)?.value ?? 0;
}

/**
 * Expired idempotency keys and old webhook receipts leave their tables through the scheduler's
 * `prune-*` tasks, a bounded DELETE at a time, while rows still in use stay.
 */
describe('pruning: nothing grows forever', () => {
  const t = useTestApp({
    env: {
      PRUNE_BATCH_SIZE: String(BATCH),
      PRUNE_INTERVAL_MS: String(INTERVAL_MS),
      WEBHOOK_RECEIPT_RETENTION_HOURS: String(RETENTION_HOURS),
    },
  });
  let dataSource: DataSource;
  let tasks: ScheduledTasks;

  /** This app's own batches per pruner (the metrics are process-wide, shared with other test apps). */
  const batches = new Map<string, number[]>();

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    const reflector = t.app.get(Reflector);
    for (const { instance, metatype } of t.app.get(DiscoveryService).getProviders()) {
      if (!instance || !metatype || !reflector.get<boolean | undefined>(PRUNER, metatype)) continue;
      const pruner = instance as Pruner;
      const pruneBatch = pruner.pruneBatch.bind(pruner);
      pruner.pruneBatch = async (limit: number) => {
        const deleted = await pruneBatch(limit);
        batches.set(pruner.name, [...(batches.get(pruner.name) ?? []), deleted]);
        return deleted;
      };
    }
    tasks = t.app.get(ScheduledTasks);
    // A job scheduler's first run is due at once: let both pass (in this app's own queue; the
    // metrics are process-wide and may already count other apps' runs) before batches are counted.
    await eventually(async () => {
      const completed = (await tasks.queue.getJobs(['completed'])).map((job) => job.name);
      expect(completed).toEqual(expect.arrayContaining(['prune-idempotency-keys', 'prune-payments-webhook-receipts']));
    });
  });

  /** Runs the task through the scheduler's queue and worker, as its schedule does, and waits for it. */
  async function runTask(name: string): Promise<void> {
    const jobId = await tasks.trigger(name);
    await eventually(async () => expect(await tasks.queue.getJobState(jobId)).toBe('completed'));
  }

  it('are scheduled as BullMQ job schedulers every PRUNE_INTERVAL_MS', async () => {
    const schedulers = await tasks.queue.getJobSchedulers();
    const prune = schedulers
      .filter((s) => s.key.startsWith('prune-'))
      .map((s) => ({ key: s.key, every: Number(s.every) }))
      .sort((a, b) => a.key.localeCompare(b.key));
    expect(prune).toEqual([
      { key: 'prune-idempotency-keys', every: INTERVAL_MS },
      { key: 'prune-payments-webhook-receipts', every: INTERVAL_MS },
      { key: 'prune-task-runs', every: INTERVAL_MS },
    ]);
  });

  it('delete expired idempotency keys in bounded batches and keep the live ones', async () => {
    const insert = (count: number, expiresAt: string) =>
      dataSource.query(
        `INSERT INTO platform_idempotency_key (scope, key, fingerprint, status, response_status, response_body, expires_at)
         SELECT 'citizen:prune-test', $1 || '-' || g, 'fp', 'completed', 201, '{}'::jsonb, ${expiresAt}
         FROM generate_series(1, $2) AS g`,
        [uuidv7(), count],
      );
    await insert(120, `now() - interval '1 minute'`);
    await insert(10, `now() + interval '1 hour'`);
    const rowsBefore = await metricValue('maintenance_pruned_rows_total', 'idempotency-keys');
    batches.clear();

    await runTask('prune-idempotency-keys');

    const [{ expired, live }] = await dataSource.query(
      `SELECT count(*) FILTER (WHERE expires_at <= now())::int AS expired,
              count(*) FILTER (WHERE expires_at > now())::int AS live
       FROM platform_idempotency_key WHERE scope = 'citizen:prune-test'`,
    );
    expect({ expired, live }).toEqual({ expired: 0, live: 10 });
    // 120 rows at 50 a batch: 50, 50, then 20 (short, so the run stops).
    expect(batches.get('idempotency-keys')).toEqual([50, 50, 20]);
    expect((await metricValue('maintenance_pruned_rows_total', 'idempotency-keys')) - rowsBefore).toBe(120);
  });

  it('delete webhook receipts older than WEBHOOK_RECEIPT_RETENTION_HOURS in bounded batches, keep younger ones', async () => {
    const insert = (count: number, ageHours: number) =>
      dataSource.query(
        `INSERT INTO payments_webhook_event (event_id, payment_id, received_at)
         SELECT 'evt-prune-' || $1 || '-' || g, $2::uuid, now() - make_interval(hours => $3)
         FROM generate_series(1, $4) AS g`,
        [uuidv7(), uuidv7(), ageHours, count],
      );
    await insert(130, RETENTION_HOURS + 1);
    // Just inside the retention: a provider could still send these again, so they must stay.
    await insert(10, RETENTION_HOURS - 1);
    batches.clear();

    await runTask('prune-payments-webhook-receipts');

    const [{ old, young }] = await dataSource.query(
      `SELECT count(*) FILTER (WHERE received_at < now() - make_interval(hours => $1))::int AS old,
              count(*) FILTER (WHERE received_at >= now() - make_interval(hours => $1))::int AS young
       FROM payments_webhook_event WHERE event_id LIKE 'evt-prune-%'`,
      [RETENTION_HOURS],
    );
    expect({ old, young }).toEqual({ old: 0, young: 10 });
    // 130 rows at 50 a batch: 50, 50, 30.
    expect(batches.get('payments-webhook-receipts')).toEqual([50, 50, 30]);
  });

  it('refuses a webhook receipt retention shorter than a day', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    expect(() => loadConfig({ NODE_ENV: 'test', WEBHOOK_RECEIPT_RETENTION_HOURS: '1' })).toThrow(
      /WEBHOOK_RECEIPT_RETENTION_HOURS must be an integer from 24/,
    );
  });
});
