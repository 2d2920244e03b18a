import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PaymentRequestedV1 } from '../../src/modules/payments/index.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import type { StubSettings } from '../../scripts/gateway-stub/stub-settings.js';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import {
  CHARGE_SUBSCRIBER,
  chargeDelivery,
  citizen,
  eventsOf,
  getDebt,
  pay,
  paymentPostings,
  registerDebt,
  settledPayment,
} from './payment-fixtures.js';

const RECEIVED = [{ kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] }];

/** No faults; webhooks on (the URL stays as the helper set it). */
const CLEAN: Partial<StubSettings> = {
  apiKey: 'stub-test-api-key',
  latencyMs: 0,
  declineRate: 0,
  errorRate: 0,
  rejectRate: 0,
  timeoutAfterChargeRate: 0,
  timeoutAnswerDelayMs: 0,
  pendingRate: 0,
  settleDelayMs: 100,
  webhookDelayMs: 0,
  webhookDuplicateRate: 0,
  webhookDropRate: 0,
  webhookReorderRate: 0,
  webhookReorderMaxMs: 5000,
};

/**
 * PAYMENT_GATEWAY=http against the stub provider over real HTTP (scripts/gateway-stub), faults
 * switched per test. The stale-pending reconciler keeps its default 5-minute timeout here, so
 * whatever decides a payment is the charging worker (answer or lookup) or the webhook.
 */
describe('payments over HTTP: the provider protocol and its faults (stub provider)', () => {
  const t = useApp(() =>
    startTestAppWithStub({ env: { RATE_LIMIT_PER_MINUTE: '100000', GATEWAY_TIMEOUT_MS: '1000' } }),
  );
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
  });
  beforeEach(() => t.stub.configure(CLEAN));

  async function requestPayment(amount = 2_000): Promise<{ paymentId: string; debtId: string; reference: string }> {
    const payer = citizen();
    const debt = (await registerDebt(t, payer.sub, amount)) as { id: string; reference: string };
    const res = await pay(t, payer, { referenceId: debt.id, amount });
    expect(res.status).toBe(202);
    return { paymentId: res.body.id, debtId: debt.id, reference: debt.reference };
  }

  async function deadLetters(paymentId: string) {
    return dataSource.query(
      `SELECT reason, error_class, error_message FROM outbox_dead_letter
       WHERE subscriber = $1 AND envelope->>'aggregateId' = $2`,
      [CHARGE_SUBSCRIBER, paymentId],
    ) as Promise<Array<{ reason: string; error_class: string; error_message: string }>>;
  }

  it('charges once with the payment id as key and the debt reference, and confirms the payment', async () => {
    const { paymentId, debtId, reference } = await requestPayment(2_100);
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'confirmed' });
    const report = await t.stub.charges(paymentId);
    expect(report).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
    expect(report.charge).toMatchObject({
      status: 'succeeded',
      amount: 2_100,
      currency: 'SAR',
      reference,
      metadata: { paymentId, purpose: 'debt' },
    });
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
    await eventually(async () => expect((await getDebt(t, debtId)).body.outstanding).toBe(0));
  });

  it('charges a payment requested before events carried the statement reference with the debt reference', async () => {
    const payer = citizen();
    const debt = (await registerDebt(t, payer.sub, 1_500)) as { id: string; reference: string };
    const paymentId = randomUUID();
    await dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO payments_payment (id, purpose, reference_id, owner_id, amount, currency, status)
         VALUES ($1, 'debt', $2, $3, 1500, 'SAR', 'pending')`,
        [paymentId, debt.id, payer.sub],
      );
      // The payload as it was appended before statementReference existed.
      await t.app.get(OutboxWriter).append(tx, {
        contract: PaymentRequestedV1,
        aggregateId: paymentId,
        payload: { paymentId, purpose: 'debt', referenceId: debt.id, amount: 1_500, currency: 'SAR' },
      });
    });
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'confirmed' });
    expect((await t.stub.charges(paymentId)).charge).toMatchObject({ reference: debt.reference, amount: 1_500 });
  });

  it('takes a decline as final: failed with the failure code, never charged again, nothing posted', async () => {
    await t.stub.configure({ declineRate: 1 });
    const { paymentId, debtId } = await requestPayment();
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'failed', failureReason: 'card_declined' });
    // Its webhook (status failed) arrives too; nothing changes.
    await eventually(async () => {
      const posts = (await t.stub.webhooks()).filter((w) => w.paymentId === paymentId);
      expect(posts.map((w) => [w.status, w.answer])).toEqual([['failed', 200]]);
    });
    expect(await chargeDelivery(dataSource, paymentId)).toMatchObject({ state: 'handled' });
    expect(await t.stub.charges(paymentId)).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
    expect(await eventsOf(dataSource, 'payments.payment-failed', paymentId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(0);
    expect(await paymentPostings(dataSource, paymentId)).toEqual([]);
    expect((await getDebt(t, debtId)).body).toMatchObject({ outstanding: 2_000, status: 'outstanding' });
  });

  it('retries 5xx with backoff, then charges once and confirms', async () => {
    await t.stub.configure({ errorRate: 1 });
    const { paymentId } = await requestPayment();
    const failing = await eventually(
      async () => {
        const delivery = await chargeDelivery(dataSource, paymentId);
        expect(delivery?.attempts).toBeGreaterThanOrEqual(2);
        return delivery!;
      },
      { timeoutMs: 20_000 },
    );
    expect(failing.last_error).toMatch(/answered 503: stub: injected 503/);
    expect(await t.stub.charges(paymentId)).toMatchObject({ chargesCreated: 0 });

    await t.stub.configure({ errorRate: 0 });
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'confirmed' });
    expect(await t.stub.charges(paymentId)).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
    expect(await deadLetters(paymentId)).toEqual([]);
  });

  it('resolves a timeout after the provider charged by the lookup: one charge request, confirmed', async () => {
    // The stub takes the money and never answers; no webhook either, so only the lookup can tell.
    await t.stub.configure({ timeoutAfterChargeRate: 1, timeoutAnswerDelayMs: 0, webhookDropRate: 1 });
    const { paymentId } = await requestPayment(2_300);
    const confirmed = await settledPayment(t, paymentId);
    expect(confirmed).toMatchObject({ status: 'confirmed' });

    const report = await t.stub.charges(paymentId);
    expect(report).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
    expect(report.lookups).toBeGreaterThanOrEqual(2); // before the charge, and on the retry that found it
    expect(confirmed.gatewayRef).toBe(report.charge?.id);
    const delivery = await chargeDelivery(dataSource, paymentId);
    expect(delivery).toMatchObject({ state: 'handled' });
    expect(delivery?.last_error).toMatch(/POST \/v1\/charges got no answer within 1000 ms/);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(1);
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
  });

  it('dead-letters the charge at once when the provider refuses the API key (401), with its message', async () => {
    await t.stub.configure({ apiKey: 'a-rotated-key-the-app-does-not-know' });
    const { paymentId } = await requestPayment();
    const [letter] = await eventually(async () => {
      const letters = await deadLetters(paymentId);
      expect(letters).toHaveLength(1);
      return letters;
    });
    expect(letter).toMatchObject({ reason: 'non-retryable', error_class: 'GatewayAuthenticationError' });
    expect(letter.error_message).toMatch(/answered 401: the provider refused the API key: invalid API key provided/);
    expect(await chargeDelivery(dataSource, paymentId)).toMatchObject({ attempts: 1 });
    expect(await t.stub.charges(paymentId)).toMatchObject({ chargesCreated: 0 });
    expect(await settledPayment(t, paymentId, ['pending'])).toMatchObject({ status: 'pending' });
  });

  it('dead-letters a charge the provider rejects (422), carrying the provider message', async () => {
    await t.stub.configure({ rejectRate: 1 });
    const { paymentId } = await requestPayment();
    const [letter] = await eventually(async () => {
      const letters = await deadLetters(paymentId);
      expect(letters).toHaveLength(1);
      return letters;
    });
    expect(letter).toMatchObject({ reason: 'non-retryable', error_class: 'GatewayRequestRejectedError' });
    expect(letter.error_message).toBe(
      'POST /v1/charges answered 422: stub: the charge request was rejected (STUB_REJECT_RATE)',
    );
    expect(await t.stub.charges(paymentId)).toMatchObject({ chargeRequests: 1, chargesCreated: 0 });
  });

  it('keeps a pending charge pending until its late webhook confirms it', async () => {
    await t.stub.configure({ pendingRate: 1, settleDelayMs: 100, webhookDelayMs: 1500 });
    const { paymentId } = await requestPayment();
    await eventually(async () =>
      expect(await chargeDelivery(dataSource, paymentId)).toMatchObject({ state: 'handled' }),
    );
    const report = await t.stub.charges(paymentId);
    // The worker is done and the payment still waits: only the webhook can decide it now.
    expect(await settledPayment(t, paymentId, ['pending'])).toMatchObject({
      status: 'pending',
      gatewayRef: report.charge?.id,
    });
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'confirmed' });
    expect((await t.stub.webhooks()).filter((w) => w.paymentId === paymentId)).toHaveLength(1);
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
  });

  it('applies a webhook delivered twice once', async () => {
    await t.stub.configure({ pendingRate: 1, webhookDuplicateRate: 1 });
    const { paymentId } = await requestPayment();
    expect(await settledPayment(t, paymentId)).toMatchObject({ status: 'confirmed' });
    const posts = await eventually(async () => {
      const mine = (await t.stub.webhooks()).filter((w) => w.paymentId === paymentId);
      expect(mine).toHaveLength(2);
      return mine;
    });
    expect(posts[1].eventId).toBe(posts[0].eventId);
    expect(posts.map((w) => w.answer)).toEqual([200, 200]);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(1);
    expect(await paymentPostings(dataSource, paymentId)).toEqual(RECEIVED);
  });

  it('converges when webhooks arrive in another order than the provider decided them', async () => {
    // The first payment's result (a decline) is held back until the second's has gone out.
    await t.stub.configure({ pendingRate: 1, declineRate: 1, webhookReorderRate: 1 });
    const first = await requestPayment();
    await eventually(async () => expect((await t.stub.charges(first.paymentId)).charge?.status).toBe('failed'));
    await t.stub.configure({ declineRate: 0, webhookReorderRate: 0 });
    const second = await requestPayment();

    expect(await settledPayment(t, second.paymentId)).toMatchObject({ status: 'confirmed' });
    expect(await settledPayment(t, first.paymentId)).toMatchObject({
      status: 'failed',
      failureReason: 'declined at gateway',
    });
    const order = (await t.stub.webhooks())
      .filter((w) => w.paymentId === first.paymentId || w.paymentId === second.paymentId)
      .map((w) => w.paymentId);
    expect(order).toEqual([second.paymentId, first.paymentId]);
    expect(await paymentPostings(dataSource, first.paymentId)).toEqual([]);
    expect(await paymentPostings(dataSource, second.paymentId)).toEqual(RECEIVED);
  });
});
