import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { signWebhook } from '../../src/modules/payments/index.js';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub, type TestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import {
  admin,
  chargeDelivery,
  chargeInFlight,
  citizen,
  eventsOf,
  getPayment,
  pay,
  paymentPostings,
  postWebhook,
  PROBLEM_JSON,
  registerDebt,
  settledPayment,
  providerCharges,
} from './payment-fixtures.js';

/** The provider takes 4 s per call, so a webhook can overtake the worker's own result. */
const LATENCY_MS = 4000;

/**
 * One app per describe block, charging through the stub provider with `stubEnv`, and the helpers
 * its tests share. The stub's own result webhooks are dropped: these tests post their own.
 */
function webhookApp(env: Record<string, string>, stubEnv: Record<string, string>) {
  const ctx = {} as { t: TestAppWithStub; dataSource: DataSource };
  ctx.t = useApp(() =>
    startTestAppWithStub(
      { env: { RATE_LIMIT_PER_MINUTE: '100000', ...env } },
      { STUB_WEBHOOK_DROP_RATE: '1', ...stubEnv },
    ),
  );
  beforeAll(() => {
    ctx.dataSource = ctx.t.app.get(DataSource);
  });

  async function pendingPayment(amount = 2_500): Promise<{ id: string; amount: number }> {
    const payer = citizen();
    const debt = await registerDebt(ctx.t, payer.sub, amount);
    const res = await pay(ctx.t, payer, { referenceId: debt.id, amount });
    expect(res.status).toBe(202);
    return { id: res.body.id, amount };
  }

  async function webhookRows(eventId: string): Promise<number> {
    const [row] = await ctx.dataSource.query(
      `SELECT count(*)::int AS n FROM payments_webhook_event WHERE event_id = $1`,
      [eventId],
    );
    return row.n;
  }

  return { ctx, pendingPayment, webhookRows };
}

const webhookFor = (payment: { id: string; amount: number }, overrides: object = {}) => ({
  eventId: `evt-${randomUUID()}`,
  paymentId: payment.id,
  gatewayRef: `gw-${randomUUID()}`,
  status: 'succeeded',
  amount: payment.amount,
  currency: 'SAR',
  ...overrides,
});

describe('payments: the gateway webhook racing the charging worker (STUB_LATENCY_MS=4000)', () => {
  const { ctx, pendingPayment, webhookRows } = webhookApp(
    { GATEWAY_TIMEOUT_MS: String(LATENCY_MS * 3) },
    { STUB_LATENCY_MS: String(LATENCY_MS) },
  );

  it('confirms on a valid webhook while the worker is still charging; the worker then changes nothing', async () => {
    const { t, dataSource } = ctx;
    const payment = await pendingPayment();
    await chargeInFlight(dataSource, payment.id);

    const body = webhookFor(payment);
    const res = await postWebhook(t, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    const confirmed = (await getPayment(t, admin, payment.id)).body;
    expect(confirmed).toMatchObject({ status: 'confirmed', gatewayRef: body.gatewayRef });

    // The worker's gateway call returns, its compare-and-set finds nothing pending: a no-op.
    await eventually(async () => expect((await chargeDelivery(dataSource, payment.id))?.state).toBe('handled'), {
      timeoutMs: LATENCY_MS * 6,
    });
    expect((await providerCharges(t, payment.id)).map((c) => c.status)).toEqual(['succeeded']);
    expect((await getPayment(t, admin, payment.id)).body).toEqual(confirmed);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', payment.id)).toBe(1);
    expect(await paymentPostings(dataSource, payment.id)).toEqual([
      { kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] },
    ]);
  });

  it('answers a replayed eventId with 200 and no second effect, even when its body names another payment', async () => {
    const { t, dataSource } = ctx;
    const first = await pendingPayment();
    const body = webhookFor(first);
    expect((await postWebhook(t, body)).status).toBe(200);
    const replay = await postWebhook(t, body);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true });
    expect(await webhookRows(body.eventId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', first.id)).toBe(1);

    // Same event id, another pending payment and a failure: dropped as a replay (the
    // compare-and-set alone would have failed the payment), so the worker confirms it.
    const second = await pendingPayment();
    const forged = await postWebhook(t, { ...webhookFor(second, { status: 'failed' }), eventId: body.eventId });
    expect(forged.status).toBe(200);
    expect((await settledPayment(t, second.id, ['confirmed', 'failed'], LATENCY_MS * 6)).status).toBe('confirmed');
    expect(await eventsOf(dataSource, 'payments.payment-failed', second.id)).toBe(0);
  });
});

describe('payments: the gateway webhook alone (STUB_ERROR_RATE=1: the worker never gets a charge through)', () => {
  const { ctx, pendingPayment, webhookRows } = webhookApp({}, { STUB_ERROR_RATE: '1' });

  it('refuses a missing, malformed, wrongly keyed, stale or tampered signature with 400 and no effect', async () => {
    const { t, dataSource } = ctx;
    const payment = await pendingPayment();
    const body = webhookFor(payment);
    const raw = JSON.stringify(body);
    const now = Math.floor(Date.now() / 1000);
    const tampered = JSON.stringify({ ...body, gatewayRef: 'gw-attacker' });
    const attempts = [
      postWebhook(t, body, { signature: null }),
      postWebhook(t, body, { signature: 'garbage' }),
      postWebhook(t, body, { signature: signWebhook(raw, 'not-the-webhook-secret', now) }),
      postWebhook(t, body, { timestamp: now - 301 }),
      postWebhook(t, body, { timestamp: now + 600 }),
      // Signed for one body, sent with another: the signature covers the raw bytes.
      postWebhook(t, tampered, { signature: signWebhook(raw, t.config.gatewayWebhookSecret, now) }),
      // Re-serialised JSON (whitespace) is a different body too.
      postWebhook(t, JSON.stringify(body, null, 2), {
        signature: signWebhook(raw, t.config.gatewayWebhookSecret, now),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ type: '/problems/webhook-signature-invalid', status: 400 });
    }
    expect(await webhookRows(body.eventId)).toBe(0);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', payment.id)).toBe(0);
    expect((await getPayment(t, admin, payment.id)).body).toMatchObject({ status: 'pending', gatewayRef: null });

    // The same body, correctly signed, is taken.
    expect((await postWebhook(t, body)).status).toBe(200);
    expect((await getPayment(t, admin, payment.id)).body).toMatchObject({
      status: 'confirmed',
      gatewayRef: body.gatewayRef,
    });
  });

  it('refuses an amount or currency that differs from the payment with 422, records nothing, and takes the right one later', async () => {
    const { t } = ctx;
    const payment = await pendingPayment();
    const body = webhookFor(payment);
    for (const wrong of [{ amount: payment.amount + 1 }, { currency: 'USD' }]) {
      const res = await postWebhook(t, { ...body, ...wrong });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.type).toBe('/problems/webhook-payment-mismatch');
    }
    expect(await webhookRows(body.eventId)).toBe(0);
    expect((await getPayment(t, admin, payment.id)).body.status).toBe('pending');

    expect((await postWebhook(t, body)).status).toBe(200);
    expect((await getPayment(t, admin, payment.id)).body).toMatchObject({
      status: 'confirmed',
      gatewayRef: body.gatewayRef,
    });
    expect(await webhookRows(body.eventId)).toBe(1);
  });

  it('answers a webhook for an unknown payment with 404 and an invalid body with 400, both without effect', async () => {
    const { t } = ctx;
    const unknown = webhookFor({ id: randomUUID(), amount: 100 });
    const res = await postWebhook(t, unknown);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(await webhookRows(unknown.eventId)).toBe(0);

    const payment = await pendingPayment();
    const invalid = { ...webhookFor(payment), status: 'refunded', extra: 1 };
    const refused = await postWebhook(t, invalid);
    expect(refused.status).toBe(400);
    expect(refused.body.type).toBe('/problems/validation-failed');
    expect(await webhookRows(invalid.eventId)).toBe(0);
    expect((await getPayment(t, admin, payment.id)).body.status).toBe('pending');
  });

  it('fails a pending payment on a "failed" webhook and publishes payment-failed once, however often it is sent', async () => {
    const { t, dataSource } = ctx;
    const payment = await pendingPayment();
    const body = webhookFor(payment, { status: 'failed' });
    expect((await postWebhook(t, body)).status).toBe(200);
    expect((await postWebhook(t, body)).status).toBe(200);
    expect((await getPayment(t, admin, payment.id)).body).toMatchObject({
      status: 'failed',
      failureReason: 'declined at gateway',
      gatewayRef: body.gatewayRef,
      confirmedAt: null,
    });
    expect(await eventsOf(dataSource, 'payments.payment-failed', payment.id)).toBe(1);
    expect(await paymentPostings(dataSource, payment.id)).toEqual([]);

    // A later "succeeded" webhook (another event id) cannot undo the decision.
    expect((await postWebhook(t, webhookFor(payment))).status).toBe(200);
    expect((await getPayment(t, admin, payment.id)).body.status).toBe('failed');
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', payment.id)).toBe(0);
  });
});
