import type { Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { FailoverThrottlerStorage } from '../../../src/platform/throttling/failover-throttler-storage.js';
import { customer, RIYADH } from '../../fulfilment/order-fixtures.js';
import { admin, citizen, pay, postWebhook, service } from '../../payments/payment-fixtures.js';
import { eventually } from '../../support/eventually.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/private-redis.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/** The Redis client's fail-fast allowance on top of a command's normal latency (issue 12, point 14). */
const FAIL_FAST_ALLOWANCE_MS = 1000;
const FALLBACK_WARNING = /rate limits fall back to per-process counts/;

interface Timed {
  command: string;
  status: number;
  ms: number;
}

/** What one round of commands created, to check later that its events were delivered. */
interface Round {
  timings: Timed[];
  debtId: string;
  paymentId: string;
  applicationId: string;
  orderId: string;
}

describe('chaos: Redis stopped, frozen or flushed is not on the accepting path', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let dataSource: DataSource;
  let storage: FailoverThrottlerStorage;
  let warn: jest.SpyInstance;
  const baseline = new Map<string, number>();

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startTestApp({
      env: {
        REDIS_URL: redis.url,
        RATE_LIMIT_PER_MINUTE: '100000',
        OUTBOX_SWEEP_AFTER_MS: '500',
        OUTBOX_SWEEP_INTERVAL_MS: '500',
        OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
      },
    });
    dataSource = t.app.get(DataSource);
    storage = t.app.get<ThrottlerStorage, FailoverThrottlerStorage>(ThrottlerStorage, { strict: false });
    warn = jest.spyOn((storage as unknown as { logger: Logger }).logger, 'warn');

    // Normal latency of each command, Redis up: the slowest of two warm rounds.
    for (let i = 0; i < 3; i++) {
      const round = await commands();
      if (i === 0) continue; // the first round pays for warm-up
      for (const { command, ms } of round.timings) baseline.set(command, Math.max(baseline.get(command) ?? 0, ms));
    }
    await delivered(await commands());
    expect(fallbackWarnings()).toBe(0);
  });
  afterAll(async () => {
    warn?.mockRestore();
    redis?.thaw();
    await t?.close();
    await redis?.kill();
  });

  const auth = (principal: Parameters<TestApp['token']>[0]) => `Bearer ${t.token(principal)}`;

  async function timed<T extends { status: number }>(command: string, call: () => PromiseLike<T>): Promise<[T, Timed]> {
    const started = performance.now();
    const response = await call();
    return [response, { command, status: response.status, ms: Math.round(performance.now() - started) }];
  }

  /** Every kind of `/v1` command that writes to PostgreSQL, once, each timed. */
  async function commands(): Promise<Round> {
    const id = randomUUID().slice(0, 8);
    const sku = `SKU-${id}`;
    const location = `LOC-${id}`;
    const payer = citizen();
    const buyer = customer();
    const timings: Timed[] = [];
    const run = async <T extends { status: number }>(command: string, call: () => PromiseLike<T>) => {
      const [response, timing] = await timed(command, call);
      timings.push(timing);
      return response;
    };
    const put = (path: string, body: object) => () =>
      request(t.url).put(path).set('Authorization', auth(admin)).send(body);

    await run(
      'PUT /v1/catalog/skus/{sku}',
      put(`/v1/catalog/skus/${sku}`, { name: sku, unitPrice: 1000, currency: 'SAR' }),
    );
    await run(
      'PUT /v1/inventory/locations/{id}',
      put(`/v1/inventory/locations/${location}`, {
        name: location,
        kind: 'warehouse',
        ...{ lat: RIYADH.lat, lon: RIYADH.lon },
        handlingCostPerUnit: 100,
        shippingCostPerKm: 1.5,
        fixedCostPerShipment: 500,
      }),
    );
    await run(
      'PUT /v1/inventory/locations/{id}/stock/{sku}',
      put(`/v1/inventory/locations/${location}/stock/${sku}`, { onHand: 10 }),
    );
    const debt = await run('POST /v1/debts', () =>
      request(t.url)
        .post('/v1/debts')
        .set('Authorization', auth(service))
        .send({ citizenId: payer.sub, reference: `ref-${id}`, kind: 'fine', amount: 2500, currency: 'SAR' }),
    );
    const application = await run('POST /v1/licences/applications', () =>
      request(t.url)
        .post('/v1/licences/applications')
        .set('Authorization', auth(payer))
        .send({ citizenId: payer.sub, activity: 'bakery', premisesAddress: '1 King Fahd Rd' }),
    );
    const payment = await run('POST /v1/payments', () => pay(t, payer, { referenceId: debt.body.id, amount: 2500 }));
    await run('POST /v1/payments/gateway-webhook', () =>
      postWebhook(t, {
        eventId: `evt-${id}`,
        paymentId: payment.body.id,
        gatewayRef: `gw-${id}`,
        status: 'succeeded',
        amount: 2500,
        currency: 'SAR',
      }),
    );
    const order = await run('POST /v1/orders', () =>
      request(t.url)
        .post('/v1/orders')
        .set('Authorization', auth(buyer))
        .set('Idempotency-Key', `order-${id}`)
        .send({ customerId: buyer.sub, lines: [{ sku, quantity: 2 }], shipTo: RIYADH }),
    );
    return {
      timings,
      debtId: debt.body.id,
      paymentId: payment.body.id,
      applicationId: application.body.id,
      orderId: order.body.id,
    };
  }

  const EXPECTED_STATUS: Record<string, number> = {
    'PUT /v1/catalog/skus/{sku}': 200,
    'PUT /v1/inventory/locations/{id}': 200,
    'PUT /v1/inventory/locations/{id}/stock/{sku}': 200,
    'POST /v1/debts': 201,
    'POST /v1/licences/applications': 201,
    'POST /v1/payments': 202,
    'POST /v1/payments/gateway-webhook': 200,
    'POST /v1/orders': 202,
  };

  /** Each command answered as it does with Redis up, within its normal latency plus the allowance. */
  function expectAnsweredAsUsual(label: string, round: Round): void {
    process.stdout.write(
      `[redis-off ${label}] ${round.timings
        .map(({ command, status, ms }) => `${command} ${status} ${ms} ms (normal ${baseline.get(command)} ms)`)
        .join('; ')}\n`,
    );
    expect(round.timings.map(({ command, status }) => [command, status])).toEqual(Object.entries(EXPECTED_STATUS));
    for (const { command, ms } of round.timings) {
      expect({ command, ms, within: ms < baseline.get(command)! + FAIL_FAST_ALLOWANCE_MS }).toMatchObject({
        command,
        within: true,
      });
    }
  }

  /** The events of `round` reached their subscribers: debt settled, licence issued, stock reserved. */
  async function delivered(round: Round): Promise<void> {
    await eventually(
      async () => {
        const debt = await request(t.url).get(`/v1/debts/${round.debtId}`).set('Authorization', auth(admin));
        expect(debt.body.status).toBe('settled');
        const application = await request(t.url)
          .get(`/v1/licences/applications/${round.applicationId}`)
          .set('Authorization', auth(admin));
        expect(application.body.status).toBe('issued');
        const order = await request(t.url).get(`/v1/orders/${round.orderId}`).set('Authorization', auth(admin));
        expect(order.body.status).toBe('reserved');
        const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
        expect(n).toBe(0);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  const fallbackWarnings = () => warn.mock.calls.filter(([message]) => FALLBACK_WARNING.test(String(message))).length;

  async function health(path: string): Promise<{ status: number; ms: number; redis?: string }> {
    const [response, { ms }] = await timed(path, () => request(t.url).get(path));
    return { status: response.status, ms, redis: response.body.details?.redis?.status };
  }

  /** Redis answers again: requests bring the rate limits back to it (a probe every few seconds). */
  async function sharedAgain(): Promise<void> {
    await eventually(
      async () => {
        await request(t.url).get(`/v1/debts/${randomUUID()}`).set('Authorization', auth(admin));
        expect(storage.fallenBack).toBe(false);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  }

  it('Redis stopped: commands answer as usual and fast, readiness down, liveness up, one warning; delivered once back', async () => {
    const warningsBefore = fallbackWarnings();
    await redis.kill();

    const round = await commands();
    expectAnsweredAsUsual('stopped', round);
    const second = await commands();
    expectAnsweredAsUsual('stopped, again', second);
    expect(fallbackWarnings() - warningsBefore).toBe(1);
    expect(storage.fallenBack).toBe(true);

    expect(await health('/health/ready')).toMatchObject({ status: 503, redis: 'down' });
    const live = await health('/health/live');
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(FAIL_FAST_ALLOWANCE_MS);
    // Nothing was delivered meanwhile: the debt is still outstanding and the payment's events wait
    // in the outbox itself (the relay claims nothing it cannot enqueue).
    const debt = await request(t.url).get(`/v1/debts/${round.debtId}`).set('Authorization', auth(admin));
    expect(debt.body.status).toBe('outstanding');
    const [{ n: waiting }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_message WHERE aggregate_id = ANY($1::text[])`,
      [[round.paymentId, second.paymentId]],
    );
    expect(waiting).toBeGreaterThanOrEqual(4); // payment requested and confirmed, twice

    await redis.start(); // empty, same port
    await delivered(round);
    await delivered(second);
    await sharedAgain();
    expect(await health('/health/ready')).toMatchObject({ status: 200, redis: 'up' });
  });

  it('Redis frozen (SIGSTOP): commands answer as usual and fast, readiness down, liveness up, one warning; delivered once thawed', async () => {
    const warningsBefore = fallbackWarnings();
    redis.freeze();
    try {
      const round = await commands();
      expectAnsweredAsUsual('frozen', round);
      const second = await commands();
      expectAnsweredAsUsual('frozen, again', second);
      expect(fallbackWarnings() - warningsBefore).toBe(1);
      expect(storage.fallenBack).toBe(true);

      const ready = await health('/health/ready');
      expect(ready).toMatchObject({ status: 503, redis: 'down' });
      const live = await health('/health/live');
      expect(live.status).toBe(200);
      expect(live.ms).toBeLessThan(FAIL_FAST_ALLOWANCE_MS);
      process.stdout.write(
        `[redis-off frozen] /health/ready 503 in ${ready.ms} ms; /health/live 200 in ${live.ms} ms\n`,
      );

      redis.thaw();
      await delivered(round);
      await delivered(second);
    } finally {
      redis.thaw();
    }
    await sharedAgain();
    expect(await health('/health/ready')).toMatchObject({ status: 200, redis: 'up' });
  });

  it('Redis flushed: commands answer as usual, still counted in Redis; what the flush lost is delivered', async () => {
    const warningsBefore = fallbackWarnings();
    // Work in flight when everything in Redis is lost.
    const before = await commands();
    await redis.command('FLUSHALL');
    const round = await commands();
    expectAnsweredAsUsual('flushed', round);
    // A flushed Redis still answers: rate limits stay shared, readiness stays up.
    expect(fallbackWarnings() - warningsBefore).toBe(0);
    expect(storage.fallenBack).toBe(false);
    expect(await health('/health/ready')).toMatchObject({ status: 200, redis: 'up' });
    expect((await health('/health/live')).status).toBe(200);
    await delivered(before);
    await delivered(round);
  });
});
