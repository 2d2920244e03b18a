import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PaymentConfirmedV1 } from '../../src/modules/payments/index.js';
import { debtsManifest } from '../../src/modules/debts/index.js';
import { type Envelope, OutboxWriter } from '../../src/outbox/index.js';
import { api, reference } from '../support/api-client.js';
import { eventually } from '../support/eventually.js';
import { scenario, useTestApp } from '../support/scenario.js';
import { redisSuite } from '../support/suite-backends.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url);

const [settleDebtSubscription] = debtsManifest.subscriptions;
const SETTLE = settleDebtSubscription.name;

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  const entry = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return entry?.value ?? 0;
}

/**
 * Someone who can write to Redis, but not to PostgreSQL, adds delivery jobs straight to a lane
 * queue: with the app's prefix and lane name, its own connection, no help from the app's code.
 */
describeOnRedis('outbox: forged delivery jobs do nothing', () => {
  let client: ReturnType<typeof api>;
  let dataSource: DataSource;
  let redis: Redis;
  let critical: Queue;
  // What the app logs at error level (Nest's Logger, which the app routes to pino), kept for assertions.
  const errorLogs: string[] = [];
  const logError = Logger.prototype.error;

  // Declared before the app's hooks: the logger is patched before it starts, and restored (and the
  // queue's own connection closed) before it stops.
  beforeAll(() => {
    Logger.prototype.error = function (this: Logger, message: unknown, ...rest: unknown[]) {
      errorLogs.push(String(message));
      return logError.call(this, message, ...rest);
    };
  });
  afterAll(async () => {
    Logger.prototype.error = logError;
    await critical.close();
    redis.disconnect();
  });
  const t = useTestApp({ env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50' } });
  beforeAll(() => {
    client = api(t);
    dataSource = t.app.get(DataSource);
    redis = new Redis(t.config.redisUrl, { maxRetriesPerRequest: null });
    critical = new Queue(settleDebtSubscription.lane, { connection: redis, prefix: `{${t.config.queuePrefix}}` });
  });

  async function outstandingDebt(amount: number): Promise<string> {
    const created = await client.registerDebt({
      citizenId: `cit-${uuidv7()}`,
      reference: reference(),
      kind: 'fine',
      amount,
      currency: 'SAR',
      dueDate: '2027-01-31',
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  const debt = async (id: string) => (await client.getDebt(id, client.admin)).body;

  const deadLetter = async (eventId: string) =>
    (
      await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1 AND subscriber = $2`, [
        eventId,
        SETTLE,
      ])
    )[0];

  it('dead-letters a job injected into a lane queue as forged, without running its handler', async () => {
    const debtId = await outstandingDebt(15_000);
    const forgedBefore = await metricValue('outbox_forged_jobs_total', { subscriber: SETTLE });
    const handledBefore = await metricValue('outbox_handled_total', { subscriber: SETTLE });
    const paymentId = uuidv7();
    const envelope: Envelope = {
      id: uuidv7(),
      type: PaymentConfirmedV1.type,
      version: PaymentConfirmedV1.version,
      aggregateType: 'payment',
      aggregateId: paymentId,
      aggregateSeq: 2,
      occurredAt: new Date().toISOString(),
      correlationId: uuidv7(),
      causationId: null,
      payload: {
        paymentId,
        purpose: 'debt',
        referenceId: debtId,
        amount: 15_000,
        currency: 'SAR',
        gatewayRef: `gw-${paymentId}`,
      },
    };
    const jobId = `${envelope.id}-${SETTLE}`;
    await critical.add(SETTLE, { subscriber: SETTLE, envelope }, { jobId, attempts: 10 });

    await eventually(async () => expect(await deadLetter(envelope.id)).toBeDefined());
    expect(await deadLetter(envelope.id)).toMatchObject({
      reason: 'forged',
      status: 'dead',
      type: PaymentConfirmedV1.type,
      error_class: 'ForgedJobError',
      envelope,
    });
    expect(await metricValue('outbox_forged_jobs_total', { subscriber: SETTLE })).toBe(forgedBefore + 1);
    expect(errorLogs.filter((line) => line.includes(envelope.id))).toEqual([
      expect.stringMatching(
        new RegExp(`^ALERT forged delivery job "${jobId}" for ${SETTLE} \\(claims event "${envelope.id}"\\)`),
      ),
    ]);
    expect(await metricValue('outbox_dead_letters_total', { subscriber: SETTLE, reason: 'forged' })).toBeGreaterThan(0);
    // Not retried: one attempt, failed for good.
    const job = await critical.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    // The handler never ran: no inbox row, the debt untouched, nothing handled.
    const [{ inbox }] = await dataSource.query(`SELECT count(*)::int AS inbox FROM outbox_inbox WHERE event_id = $1`, [
      envelope.id,
    ]);
    expect(inbox).toBe(0);
    expect(await debt(debtId)).toMatchObject({ outstanding: 15_000, status: 'outstanding' });
    expect(await metricValue('outbox_handled_total', { subscriber: SETTLE })).toBe(handledBefore);
  });

  it('catches a copy of a real event with an altered payload, and still applies the real one once', async () => {
    const debtId = await outstandingDebt(15_000);
    const forgedBefore = await metricValue('outbox_forged_jobs_total', { subscriber: SETTLE });
    const paymentId = uuidv7();
    const [real] = await dataSource.transaction((tx) =>
      t.app.get(OutboxWriter).append(tx, {
        contract: PaymentConfirmedV1,
        aggregateId: paymentId,
        payload: { paymentId, purpose: 'debt', referenceId: debtId, amount: 500, currency: 'SAR', gatewayRef: 'gw-1' },
      }),
    );
    const tampered = { ...real, payload: { ...(real.payload as object), amount: 15_000 } };
    await critical.add(SETTLE, { subscriber: SETTLE, envelope: tampered }, { jobId: `${real.id}-tampered` });

    await eventually(async () => {
      expect(await deadLetter(real.id)).toMatchObject({ reason: 'forged', envelope: tampered });
      const [ledger] = await dataSource.query(
        `SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
        [real.id, SETTLE],
      );
      expect(ledger.state).toBe('handled');
    });
    expect(await metricValue('outbox_forged_jobs_total', { subscriber: SETTLE })).toBe(forgedBefore + 1);
    // Only the committed 500 was applied, whichever of the two jobs ran first.
    expect(await debt(debtId)).toMatchObject({ outstanding: 14_500, status: 'outstanding' });
  });

  it('also refuses a real event delivered to a subscriber the relay never routed it to', async () => {
    // debts.debt-registered is not one of the settle subscriber's events: no ledger row joins them.
    let debtId!: string;
    const envelope = await scenario(t)
      .when(async () => {
        debtId = await outstandingDebt(2_000);
      })
      .expectEvent('debts.debt-registered', (_, e) => e.aggregateId === debtId, { relayed: true });
    await critical.add(SETTLE, { subscriber: SETTLE, envelope }, { jobId: `${envelope.id}-misrouted` });
    await eventually(async () => expect(await deadLetter(envelope.id)).toMatchObject({ reason: 'forged' }));
    expect(await debt(debtId)).toMatchObject({ outstanding: 2_000, status: 'outstanding' });
  });
});
