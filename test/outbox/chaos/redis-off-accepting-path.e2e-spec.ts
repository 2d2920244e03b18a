import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { loadConfig } from '../../../src/config/index.js';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../../src/modules/payments/index.js';
import { type Principal, TokenService } from '../../../src/platform/index.js';
import { customer, RIYADH } from '../../fulfilment/order-fixtures.js';
import { admin, citizen, service } from '../../payments/payment-fixtures.js';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../../support/app-process.js';
import { eventually } from '../../support/eventually.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/private-redis.js';
import { isolate, type TestIsolation } from '../../support/test-env.js';
import { redisSuite } from '../../support/suite-backends.js';
import { REDIS_SERVER } from '../../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

/** The Redis client's fail-fast allowance on top of a command's normal latency (issue 12, point 14). */
const FAIL_FAST_ALLOWANCE_MS = 1000;
const FALLBACK_WARNING = /rate limits fall back to per-process counts/;
const SHARED_AGAIN = /Redis answers again: rate limits are shared/;
const PINO_WARN = 40;

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

interface LogLine {
  level: number;
  msg: string;
}

/**
 * The app runs as a process of its own (the compiled main.js) against a private redis-server, so
 * what is measured is what an operator would see: HTTP latencies, health answers and log lines.
 */
describeOnRedis('chaos: Redis stopped, frozen or flushed is not on the accepting path', () => {
  let redis: PrivateRedis;
  let isolation: TestIsolation;
  let app: AppProcess;
  let url: string;
  let db: pg.Client;
  let tokens: TokenService;
  let webhookSecret: string;
  const baseline = new Map<string, number>();

  beforeAll(async () => {
    redis = await startPrivateRedis();
    isolation = await isolate();
    const port = await freePort();
    const env = {
      ...isolation.env,
      PORT: String(port),
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_MINUTE: '100000',
      OUTBOX_SWEEP_AFTER_MS: '500',
      OUTBOX_SWEEP_INTERVAL_MS: '500',
      OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
    };
    const config = loadConfig(env);
    tokens = new TokenService(config);
    webhookSecret = config.gatewayWebhookSecret;
    app = spawnApp(env);
    url = `http://127.0.0.1:${port}`;
    await waitUntilReady(port, app);
    db = new pg.Client({ connectionString: isolation.databaseUrl });
    await db.connect();

    // Normal latency of each command, Redis up: the slowest of two warm rounds.
    for (let i = 0; i < 3; i++) {
      const round = await commands();
      if (i === 0) continue; // the first round pays for warm-up
      for (const { command, ms } of round.timings) baseline.set(command, Math.max(baseline.get(command) ?? 0, ms));
    }
    await delivered(await commands());
    expect(logged(FALLBACK_WARNING)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    redis?.thaw();
    await db?.end();
    if (app) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await isolation?.dispose();
    await redis?.kill();
  });

  const auth = (principal: Principal) => `Bearer ${tokens.sign(principal)}`;

  const outputLines = () =>
    app
      .output()
      .split('\n')
      .filter((line) => line !== '');
  const parsed = (line: string): LogLine | undefined => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      return undefined;
    }
  };
  /** The app's JSON log lines. */
  const logLines = (): LogLine[] => outputLines().flatMap((line) => parsed(line) ?? []);
  /** Anything else the app printed, such as a raw stack trace. */
  const rawLines = (): string[] => outputLines().filter((line) => parsed(line) === undefined);
  const logged = (pattern: RegExp, level?: number) =>
    logLines().filter((line) => pattern.test(line.msg) && (level === undefined || line.level === level)).length;

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
      request(url).put(path).set('Authorization', auth(admin)).send(body);

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
      request(url)
        .post('/v1/debts')
        .set('Authorization', auth(service))
        .send({ citizenId: payer.sub, reference: `ref-${id}`, kind: 'fine', amount: 2500, currency: 'SAR' }),
    );
    const application = await run('POST /v1/licences/applications', () =>
      request(url)
        .post('/v1/licences/applications')
        .set('Authorization', auth(payer))
        .send({ citizenId: payer.sub, activity: 'bakery', premisesAddress: '1 King Fahd Rd' }),
    );
    const payment = await run('POST /v1/payments', () =>
      request(url)
        .post('/v1/payments')
        .set('Authorization', auth(payer))
        .set('Idempotency-Key', `pay-${id}`)
        .send({ purpose: 'debt', referenceId: debt.body.id, amount: 2500, currency: 'SAR' }),
    );
    await run('POST /v1/payments/gateway-webhook', () => {
      const body = JSON.stringify({
        eventId: `evt-${id}`,
        paymentId: payment.body.id,
        gatewayRef: `gw-${id}`,
        status: 'succeeded',
        amount: 2500,
        currency: 'SAR',
      });
      return request(url)
        .post('/v1/payments/gateway-webhook')
        .set('Content-Type', 'application/json')
        .set(WEBHOOK_SIGNATURE_HEADER, signWebhook(body, webhookSecret, Math.floor(Date.now() / 1000)))
        .send(body);
    });
    const order = await run('POST /v1/orders', () =>
      request(url)
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
        const debt = await request(url).get(`/v1/debts/${round.debtId}`).set('Authorization', auth(admin));
        expect(debt.body.status).toBe('settled');
        const application = await request(url)
          .get(`/v1/licences/applications/${round.applicationId}`)
          .set('Authorization', auth(admin));
        expect(application.body.status).toBe('issued');
        const order = await request(url).get(`/v1/orders/${round.orderId}`).set('Authorization', auth(admin));
        expect(order.body.status).toBe('reserved');
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM outbox_message`);
        expect(rows[0].n).toBe(0);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  const fallbackWarnings = () => logged(FALLBACK_WARNING, PINO_WARN);

  async function health(path: string): Promise<{ status: number; ms: number; redis?: string }> {
    const [response, { ms }] = await timed(path, () => request(url).get(path));
    return { status: response.status, ms, redis: response.body.details?.redis?.status };
  }

  /** Redis answers again: requests bring the rate limits back to it (a probe every few seconds). */
  async function sharedAgain(before: number): Promise<void> {
    await eventually(
      async () => {
        await request(url).get(`/v1/debts/${randomUUID()}`).set('Authorization', auth(admin));
        expect(logged(SHARED_AGAIN)).toBe(before + 1);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  }

  it('Redis stopped: commands answer as usual and fast, readiness down, liveness up, one warning; delivered once back', async () => {
    const warningsBefore = fallbackWarnings();
    const backBefore = logged(SHARED_AGAIN);
    await redis.kill();

    const round = await commands();
    expectAnsweredAsUsual('stopped', round);
    const second = await commands();
    expectAnsweredAsUsual('stopped, again', second);
    expect(fallbackWarnings() - warningsBefore).toBe(1);
    // Connection errors are logged as JSON lines too, not printed as raw stack traces.
    expect(rawLines()).toEqual([]);

    expect(await health('/health/ready')).toMatchObject({ status: 503, redis: 'down' });
    const live = await health('/health/live');
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(FAIL_FAST_ALLOWANCE_MS);
    // Nothing was delivered meanwhile: the debt is still outstanding and the payment's events wait
    // in the outbox itself (the relay claims nothing it cannot enqueue).
    const debt = await request(url).get(`/v1/debts/${round.debtId}`).set('Authorization', auth(admin));
    expect(debt.body.status).toBe('outstanding');
    const { rows: waiting } = await db.query(
      `SELECT count(*)::int AS n FROM outbox_message WHERE aggregate_id = ANY($1::text[])`,
      [[round.paymentId, second.paymentId]],
    );
    expect(waiting[0].n).toBeGreaterThanOrEqual(4); // payment requested and confirmed, twice

    await redis.start(); // empty, same port
    await delivered(round);
    await delivered(second);
    await sharedAgain(backBefore);
    expect(await health('/health/ready')).toMatchObject({ status: 200, redis: 'up' });
  });

  it('Redis frozen (SIGSTOP): commands answer as usual and fast, readiness down, liveness up, one warning; delivered once thawed', async () => {
    const warningsBefore = fallbackWarnings();
    const backBefore = logged(SHARED_AGAIN);
    redis.freeze();
    try {
      const round = await commands();
      expectAnsweredAsUsual('frozen', round);
      const second = await commands();
      expectAnsweredAsUsual('frozen, again', second);
      expect(fallbackWarnings() - warningsBefore).toBe(1);

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
    await sharedAgain(backBefore);
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
    expect(await health('/health/ready')).toMatchObject({ status: 200, redis: 'up' });
    expect((await health('/health/live')).status).toBe(200);
    await delivered(before);
    await delivered(round);
  });
});
