import { DataSource } from 'typeorm';
import { NO_CHARGE_AT_GATEWAY, PaymentsApi } from '../../src/modules/payments/index.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import type { TestApp } from '../support/test-app.js';
import { eventually } from '../support/eventually.js';
import { useApp, useTestApp } from '../support/scenario.js';
import {
  admin,
  chargeDelivery,
  citizen,
  eventsOf,
  getDebt,
  getPayment,
  pay,
  paymentPostings,
  registerDebt,
  settledPayment,
  providerCharges,
  simCharges,
} from './payment-fixtures.js';

const PROVIDER_DECLINE = 'card_declined';
const RECEIVED = [{ kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] }];

async function requestPayment(t: TestApp, amount: number): Promise<{ paymentId: string; debtId: string }> {
  const payer = citizen();
  const debt = await registerDebt(t, payer.sub, amount);
  const res = await pay(t, payer, { referenceId: debt.id, amount });
  expect(res.status).toBe(202);
  return { paymentId: res.body.id, debtId: debt.id };
}

describe('payments: provider declines (STUB_DECLINE_RATE=1)', () => {
  const t = useApp(() => startTestAppWithStub({}, { STUB_DECLINE_RATE: '1' }));
  let dataSource: DataSource;

  beforeAll(() => {
    dataSource = t.app.get(DataSource);
  });

  it('fails a declined payment with its reason, publishes payment-failed, posts nothing and leaves the debt owed', async () => {
    const { paymentId, debtId } = await requestPayment(t, 4_000);
    const failed = await settledPayment(t, paymentId);
    expect(failed).toMatchObject({ status: 'failed', failureReason: PROVIDER_DECLINE, confirmedAt: null });
    expect((await providerCharges(t, paymentId)).map((c) => c.status)).toEqual(['declined']);
    expect(await eventsOf(dataSource, 'payments.payment-failed', paymentId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(0);
    expect(await paymentPostings(dataSource, paymentId)).toEqual([]);
    expect((await getDebt(t, debtId)).body).toMatchObject({ outstanding: 4_000, status: 'outstanding' });
  });
});

describe('payments: declines and timeouts after charge at rate 0.5, 5xx at 0.1, seeded (stub provider)', () => {
  // No webhooks: every payment is decided by the worker's own answers and lookups.
  const t = useApp(() =>
    startTestAppWithStub(
      { env: { RATE_LIMIT_PER_MINUTE: '100000' } },
      {
        STUB_DECLINE_RATE: '0.5',
        STUB_TIMEOUT_AFTER_CHARGE_RATE: '0.5',
        // Every call of every attempt (the lookup first, then the charge) meets the 5xx dice; at
        // 0.25 an unlucky payment under a loaded CI machine needed most of its 8 attempts, whose
        // backoff alone is about a minute, and outlived the wait below.
        STUB_ERROR_RATE: '0.1',
        STUB_WEBHOOK_DROP_RATE: '1',
        STUB_SEED: '20261121',
      },
    ),
  );
  let dataSource: DataSource;
  const PAYMENTS = 16;

  beforeAll(() => {
    dataSource = t.app.get(DataSource);
  });

  it('charges no payment twice and ends every payment confirmed or failed, as its one charge says', async () => {
    const requested = await Promise.all(Array.from({ length: PAYMENTS }, (_, i) => requestPayment(t, 1_000 + i)));
    const outcomes = await Promise.all(
      requested.map(({ paymentId }) => settledPayment(t, paymentId, undefined, 150_000)),
    );

    for (const [i, { paymentId, debtId }] of requested.entries()) {
      const payment = outcomes[i];
      const charges = await providerCharges(t, paymentId);
      expect(charges).toHaveLength(1);
      // Never charged twice, and never even asked twice: retries look the charge up first.
      expect(await t.stub.charges(paymentId)).toMatchObject({ chargesCreated: 1, chargeRequests: 1 });
      const [charge] = charges;
      expect(Number(charge.amount)).toBe(1_000 + i);
      const confirmedEvents = await eventsOf(dataSource, 'payments.payment-confirmed', paymentId);
      const failedEvents = await eventsOf(dataSource, 'payments.payment-failed', paymentId);
      if (payment.status === 'confirmed') {
        expect(charge.status).toBe('succeeded');
        expect(payment.gatewayRef).toBe(charge.gateway_ref);
        expect({ confirmedEvents, failedEvents }).toEqual({ confirmedEvents: 1, failedEvents: 0 });
        expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
        await eventually(async () => expect((await getDebt(t, debtId)).body.outstanding).toBe(0));
      } else {
        expect(payment).toMatchObject({ status: 'failed', failureReason: PROVIDER_DECLINE });
        expect(charge.status).toBe('declined');
        expect({ confirmedEvents, failedEvents }).toEqual({ confirmedEvents: 0, failedEvents: 1 });
        expect(await paymentPostings(dataSource, paymentId)).toEqual([]);
      }
      expect((await chargeDelivery(dataSource, paymentId))?.state).toBe('handled');
    }

    // The faults really happened: both outcomes, deliveries retried, and charges taken by calls
    // that timed out (a delivery's last error is its last failure's; a 503 may hide behind a timeout).
    expect(new Set(outcomes.map((p) => p.status))).toEqual(new Set(['confirmed', 'failed']));
    const deliveries = await Promise.all(requested.map(({ paymentId }) => chargeDelivery(dataSource, paymentId)));
    expect(deliveries.some((d) => (d?.attempts ?? 0) > 1)).toBe(true);
    expect(deliveries.some((d) => d?.last_error?.includes('got no answer within'))).toBe(true);
    const [{ dead }] = await dataSource.query(`SELECT count(*)::int AS dead FROM outbox_dead_letter`);
    expect(dead).toBe(0);
  });
});

/**
 * PaymentsApi.resolvePending at the port, on the in-process simulator: its charges refuse with 5xx
 * while its record stays readable, and a charge "taken while every answer got lost" can be seeded in
 * its table without a charging worker racing to find it first. Over HTTP the same healing is proven
 * end to end by gateway-http-reconcile.e2e-spec.ts.
 */
describe('payments: resolvePending when the gateway is down for charges (GATEWAY_SIM_ERROR_RATE=1)', () => {
  const t = useTestApp({ env: { GATEWAY_SIM_ERROR_RATE: '1' } });
  let dataSource: DataSource;
  let payments: PaymentsApi;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    payments = t.app.get(PaymentsApi);
  });

  /** Calls resolvePending until the charging worker is not mid-attempt. */
  async function resolve(paymentId: string) {
    return eventually(async () => {
      const outcome = await payments.resolvePending(paymentId);
      expect(outcome).not.toBe('in-progress');
      return outcome;
    });
  }

  it('keeps a payment pending while every charge attempt fails with 5xx, and lists it as stale', async () => {
    const { paymentId } = await requestPayment(t, 3_000);
    await eventually(async () => expect((await chargeDelivery(dataSource, paymentId))?.attempts).toBeGreaterThan(0));
    expect((await getPayment(t, admin, paymentId)).body.status).toBe('pending');
    expect(await simCharges(dataSource, paymentId)).toEqual([]);
    expect(await payments.stalePendingPayments(0)).toContain(paymentId);
    expect(await payments.stalePendingPayments(3_600_000)).not.toContain(paymentId);
  });

  it('leaves an uncharged payment younger than the no-charge grace pending (its charge may be on its way)', async () => {
    const { paymentId } = await requestPayment(t, 3_000);
    const outcome = await eventually(async () => {
      const result = await payments.resolvePending(paymentId, 3_600_000);
      expect(result).not.toBe('in-progress');
      return result;
    });
    expect(outcome).toBe('awaiting-charge');
    expect((await getPayment(t, admin, paymentId)).body.status).toBe('pending');
    expect(await eventsOf(dataSource, 'payments.payment-failed', paymentId)).toBe(0);
  });

  it('fails a payment the gateway never charged, and the worker never charges it afterwards', async () => {
    const { paymentId, debtId } = await requestPayment(t, 3_000);
    expect(await resolve(paymentId)).toBe('failed');
    expect((await getPayment(t, admin, paymentId)).body).toMatchObject({
      status: 'failed',
      failureReason: NO_CHARGE_AT_GATEWAY,
    });
    expect(await eventsOf(dataSource, 'payments.payment-failed', paymentId)).toBe(1);
    expect(await resolve(paymentId)).toBe('not-pending');

    // The worker's next attempt finds the payment decided and returns before calling the gateway
    // (which would still answer 503): the delivery completes, and nothing is charged.
    await eventually(async () => expect((await chargeDelivery(dataSource, paymentId))?.state).toBe('handled'), {
      timeoutMs: 30_000,
    });
    expect(await simCharges(dataSource, paymentId)).toEqual([]);
    expect((await getPayment(t, admin, paymentId)).body.status).toBe('failed');
    expect((await getDebt(t, debtId)).body.outstanding).toBe(3_000);
  });

  it('confirms a payment the gateway did charge although the worker never heard back, once', async () => {
    const { paymentId, debtId } = await requestPayment(t, 2_000);
    // The charge the gateway took while every answer to the worker got lost.
    await dataSource.query(
      `INSERT INTO payments_gateway_sim_charge (idempotency_key, payment_id, amount, currency, status, gateway_ref)
       VALUES ($1, $2, 2000, 'SAR', 'succeeded', $3)`,
      [`pay-${paymentId}`, paymentId, `sim_lost-${paymentId}`],
    );
    expect(await resolve(paymentId)).toBe('confirmed');
    expect((await getPayment(t, admin, paymentId)).body).toMatchObject({
      status: 'confirmed',
      gatewayRef: `sim_lost-${paymentId}`,
    });
    expect(await resolve(paymentId)).toBe('not-pending');
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(1);
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
    await eventually(async () => expect((await getDebt(t, debtId)).body.outstanding).toBe(0));
  });

  it('answers not-found for an unknown payment id', async () => {
    expect(await payments.resolvePending('00000000-0000-7000-8000-000000000000')).toBe('not-found');
    expect(await payments.resolvePending('not-a-uuid')).toBe('not-found');
  });
});
