import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { QueueBackend } from '../../src/outbox/host.js';
import { type Finding, Reconciler } from '../../src/reconciliation/index.js';
import { api, reference } from '../support/api-client.js';
import { eventually } from '../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingRejectedError,
} from '../support/outbox-fixtures.js';
import { reconciliationClient } from '../support/reconciliation.js';
import { useTestApp } from '../support/scenario.js';
import { itWithTool } from '../support/suite-backends.js';
import { PROMTOOL } from '../support/tools.js';
import { promtool, type Scrape, scrape } from './prometheus-text.js';

const RECORDER = recorderSubscription.name;
const LANES = ['critical', 'default', 'bulk'];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'];

/** Every metric family SPEC.md "Observability" promises, by the name it is served under. */
export const SPEC_METRICS = [
  'outbox_backlog_events',
  'outbox_oldest_pending_age_seconds',
  'outbox_relay_batch_size',
  'outbox_relay_batch_duration_seconds',
  'outbox_queue_jobs',
  'outbox_handler_duration_seconds',
  'outbox_end_to_end_latency_seconds',
  'outbox_retries_total',
  'outbox_duplicates_skipped_total',
  'outbox_dead_letters_total',
  'outbox_open_dead_letters',
  'reconciliation_findings_total',
  'reconciliation_heals_total',
  'reconciliation_open_findings',
  'http_requests_total',
  'http_request_duration_seconds',
];

const probe = { planned: [] as Array<{ subject: string; heal: boolean }> };

/** A reconciler of this test's own: reports what `probe.planned` says, healing those marked so. */
@Reconciler()
@Injectable()
class MetricsProbeReconciler implements Reconciler {
  readonly name = 'test-metrics-probe';
  readonly everyMs = 1000 * 86_400_000;
  readonly rulesVersion = 1;

  async check(): Promise<Finding[]> {
    return probe.planned.map(({ subject, heal }) => ({
      subject,
      description: `probe finding ${subject}`,
      details: {},
      heal: heal ? async () => undefined : undefined,
    }));
  }
}

describe('/metrics: promtool-clean, every SPEC metric present', () => {
  const t = useTestApp({ env: { METRICS_TOKEN: 'scrape-token' } });

  itWithTool(import.meta.url, PROMTOOL)('passes `promtool check metrics`', async () => {
    // Traffic first, so the labelled families have samples to lint.
    await request(t.url).get('/health/live');
    const result = await scrape(t.url, 'scrape-token');
    const checked = promtool(['check', 'metrics'], result.text);
    expect({ status: checked.status, output: checked.output }).toEqual({ status: 0, output: '' });
  });

  it('declares every SPEC metric', async () => {
    const result = await scrape(t.url, 'scrape-token');
    for (const name of SPEC_METRICS) {
      expect([name, result.families.has(name)]).toEqual([name, true]);
    }
  });

  it('names HTTP series by route template and status class, never by raw URL', async () => {
    const debtId = randomUUID();
    const admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
    const labels = { method: 'GET', route: '/v1/debts/:id', status_class: '4xx' };
    const before = await scrape(t.url, 'scrape-token');
    expect((await request(t.url).get(`/v1/debts/${debtId}`).set('Authorization', admin)).status).toBe(404);
    expect((await request(t.url).get(`/no/such/${debtId}`)).status).toBe(404);
    const after = await scrape(t.url, 'scrape-token');
    expect(after.value('http_requests_total', labels) - before.value('http_requests_total', labels)).toBe(1);
    expect(
      after.value('http_request_duration_seconds_count', labels) -
        before.value('http_request_duration_seconds_count', labels),
    ).toBe(1);
    const unmatched = { method: 'GET', route: 'unmatched', status_class: '4xx' };
    expect(after.value('http_requests_total', unmatched) - before.value('http_requests_total', unmatched)).toBe(1);
    expect(after.text).not.toContain(debtId);
  });
});

describe('scrape-time gauges: outbox backlog and lane queues (an API-only process)', () => {
  const queues: Queue[] = [];
  let worker: Worker | undefined;

  // Declared before the app: hooks run in order, so the queues close before the app does.
  afterAll(async () => {
    await worker?.close();
    await Promise.all(queues.map((q) => q.close()));
  });
  // No relay and no workers: appended events stay in the outbox, jobs stay in their queues.
  const t = useTestApp({ env: { APP_ROLES: 'api' } });

  // On the app's own queue backend (Redis or PostgreSQL), as a producer or worker elsewhere would be.
  const queue = (lane: string) => {
    const q = t.app.get(QueueBackend).queue(lane);
    queues.push(q);
    return q;
  };

  it('reports the backlog and the age of its oldest event once a request appends one', async () => {
    const before = await scrape(t.url);
    expect(before.value('outbox_backlog_events')).toBe(0);
    expect(before.value('outbox_oldest_pending_age_seconds')).toBe(0);
    const { registerDebt } = api(t);
    const res = await registerDebt({
      citizenId: 'cit-metrics',
      reference: reference(),
      kind: 'fine',
      amount: 500,
      currency: 'SAR',
    });
    expect(res.status).toBe(201);
    const [{ n }] = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM outbox_message`);
    expect(n).toBeGreaterThan(0);
    await eventually(async () => {
      const after = await scrape(t.url);
      expect(after.value('outbox_backlog_events')).toBe(n);
      expect(after.value('outbox_oldest_pending_age_seconds')).toBeGreaterThan(0);
    });
  });

  it('reports waiting, delayed, active and failed jobs per lane queue', async () => {
    const before = await scrape(t.url);
    for (const lane of LANES) {
      for (const state of QUEUE_STATES) expect(before.has('outbox_queue_jobs', { lane, state })).toBe(true);
    }
    await queue('critical').add('probe', {});
    await queue('bulk').add('probe', {}, { delay: 600_000 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    worker = t.app.get(QueueBackend).worker(
      'default',
      async (job) => {
        if (job.name === 'fail') throw new Error('failed on purpose');
        await held;
      },
      { concurrency: 2 },
    );
    await queue('default').add('fail', {}, { attempts: 1 });
    await queue('default').add('hold', {});
    const after = await eventually(async () => {
      const s = await scrape(t.url);
      expect(s.value('outbox_queue_jobs', { lane: 'default', state: 'failed' })).toBe(1);
      expect(s.value('outbox_queue_jobs', { lane: 'default', state: 'active' })).toBe(1);
      return s;
    });
    expect(after.value('outbox_queue_jobs', { lane: 'critical', state: 'waiting' })).toBe(1);
    expect(after.value('outbox_queue_jobs', { lane: 'bulk', state: 'delayed' })).toBe(1);
    release();
  });
});

describe('counters and histograms move with their causes (a full process)', () => {
  const setup = outboxTestSetup([recorderSubscription]);
  const t = useTestApp({
    catalogue: setup.catalogue,
    providers: [...setup.providers, MetricsProbeReconciler],
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50', RECONCILIATION_INTERVAL_MS: '86400000' },
  });
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await createEffectTable(dataSource);
  });
  beforeEach(() => faults.recorder.reset());

  const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
    after.value(name, labels) - before.value(name, labels);

  it('relay, handler, end-to-end latency and retries', async () => {
    const before = await scrape(t.url);
    faults.recorder.failuresLeft = 1;
    await appendThings(dataSource, writer, 1, { aggregateId: 'metrics-retry' });
    const after = await eventually(async () => {
      const s = await scrape(t.url);
      expect(delta(before, s, 'outbox_handler_duration_seconds_count', { subscriber: RECORDER })).toBe(1);
      return s;
    });
    expect(delta(before, after, 'outbox_retries_total', { subscriber: RECORDER })).toBe(1);
    expect(delta(before, after, 'outbox_end_to_end_latency_seconds_count', { subscriber: RECORDER })).toBe(1);
    expect(delta(before, after, 'outbox_relayed_events_total')).toBeGreaterThanOrEqual(1);
    expect(delta(before, after, 'outbox_relay_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(delta(before, after, 'outbox_relay_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.value('outbox_backlog_events')).toBe(0);
  });

  it('duplicates skipped by the inbox', async () => {
    const [event] = await appendThings(dataSource, writer, 1, { aggregateId: 'metrics-dup' });
    await eventually(async () => {
      const [row] = await dataSource.query(`SELECT state FROM outbox_delivery WHERE event_id = $1`, [event.id]);
      expect(row?.state).toBe('handled');
    });
    const before = await scrape(t.url);
    const critical = t.app.get(QueueBackend).queue('critical');
    try {
      // The same committed event again under another job id: genuine, so the inbox skips it.
      await critical.add(RECORDER, { subscriber: RECORDER, envelope: event }, { jobId: `${event.id}-again` });
      await eventually(async () =>
        expect(delta(before, await scrape(t.url), 'outbox_duplicates_skipped_total', { subscriber: RECORDER })).toBe(1),
      );
    } finally {
      await critical.close();
    }
  });

  it('dead letters: the counter and the open gauge', async () => {
    const before = await scrape(t.url);
    faults.recorder.failuresLeft = 1;
    faults.recorder.error = () => new ThingRejectedError('rejected for good');
    await appendThings(dataSource, writer, 1, { aggregateId: 'metrics-dead' });
    await eventually(async () => {
      const s = await scrape(t.url);
      expect(delta(before, s, 'outbox_open_dead_letters')).toBe(1);
      // Counted once the dead letter's transaction has committed.
      expect(delta(before, s, 'outbox_dead_letters_total', { subscriber: RECORDER })).toBe(1);
    });
  });

  it('reconciliation findings, heals and open findings', async () => {
    const reconciler = 'test-metrics-probe';
    const before = await scrape(t.url);
    probe.planned = [
      { subject: 'thing:healed', heal: true },
      { subject: 'thing:exception', heal: false },
    ];
    const client = reconciliationClient(t);
    await client.finished(await client.requestRun(reconciler));
    const after = await eventually(async () => {
      const s = await scrape(t.url);
      expect(s.value('reconciliation_open_findings', { reconciler })).toBe(1);
      return s;
    });
    expect(delta(before, after, 'reconciliation_findings_total', { reconciler })).toBe(2);
    expect(delta(before, after, 'reconciliation_heals_total', { reconciler })).toBe(1);
  });
});
