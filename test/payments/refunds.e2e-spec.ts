import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { OrderCancelledV1, OrderRejectedV1 } from '../../src/modules/fulfilment/index.js';
import {
  type Payable,
  type PayableResolver,
  Payables,
  type PayableStanding,
  PaymentRefundedV1,
  PaymentRequestedV1,
} from '../../src/modules/payments/index.js';
import { EntryKinds, LedgerApi, reversed } from '../../src/modules/ledger/index.js';
import { type DeliveryJobData, deliveryJobId, LaneQueues } from '../../src/outbox/testing.js';
import { type Envelope, OutboxWriter } from '../../src/outbox/index.js';
import type { Principal } from '../../src/platform/index.js';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import {
  admin,
  chargeInFlight,
  eventsOf,
  getPayment,
  pay,
  paymentPostings,
  PROBLEM_JSON,
  settledPayment,
  providerCharges,
} from './payment-fixtures.js';

const REFUND_SUBSCRIBER = 'payments.refund-when-order-closed';
const GATEWAY_REFUND_SUBSCRIBER = 'payments.refund-at-gateway-when-requested';
/** The retired refunder of the release before refunds were requested first (docs/adr/0048-payment-aggregate.md). */
const RETIRED_GATEWAY_REFUND_SUBSCRIBER = 'payments.refund-at-gateway';
/** Every charge takes this long at the simulated gateway, so an order can close while one is under way. */
const LATENCY_MS = 1000;
const TOTAL = 4_200;

/**
 * The orders of this test, as the `order` payable resolver reports them. The order flow's own
 * resolver (fulfilment) derives the standing from its orders table; here the test decides it, so
 * these tests exercise payments alone. Closing an order sets `closed` and appends the closing
 * event, as fulfilment does in one transaction.
 */
const orders = new Map<string, { customerId: string; total: number; standing: PayableStanding }>();

class TestOrderPayables implements PayableResolver {
  async resolve(_tx: EntityManager, referenceId: string): Promise<Payable | undefined> {
    const order = orders.get(referenceId);
    if (!order) return undefined;
    return {
      ownerId: order.customerId,
      currency: 'SAR',
      rule: { kind: 'exactly', amount: order.total },
      standing: order.standing,
    };
  }
}

/**
 * Makes `orders` the source of the `order` payables: registers the test resolver, or, when the
 * order flow has registered its own, lets the test resolver answer for the test's orders first.
 */
function useTestOrders(payables: Payables): void {
  const test = new TestOrderPayables();
  const registered = payables.resolver('order');
  if (!registered) {
    payables.register('order', test);
    return;
  }
  const own = registered.resolve.bind(registered);
  registered.resolve = (tx, referenceId) =>
    orders.has(referenceId) ? test.resolve(tx, referenceId) : own(tx, referenceId);
}

const customer = (): Principal => ({ sub: `customer-${randomUUID().slice(0, 8)}`, roles: ['customer'] });

function openOrder(customerId: string, standing: PayableStanding = 'open'): string {
  const id = randomUUID();
  orders.set(id, { customerId, total: TOTAL, standing });
  return id;
}

describe('payments: refunds of order payments (SPEC.md "Orders" point 5)', () => {
  const t = useApp(() =>
    startTestAppWithStub(
      {
        env: {
          OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
          RATE_LIMIT_PER_MINUTE: '100000',
          GATEWAY_TIMEOUT_MS: String(LATENCY_MS * 5),
        },
      },
      { STUB_LATENCY_MS: String(LATENCY_MS) },
    ),
  );
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    useTestOrders(t.app.get(Payables));
  });

  /** Closes order `orderId` as fulfilment does: the standing and the event, together. */
  async function closeOrder(orderId: string, how: 'rejected' | 'cancelled'): Promise<Envelope> {
    orders.get(orderId)!.standing = 'closed';
    const [envelope] = await dataSource.transaction((tx) =>
      how === 'rejected'
        ? writer.append(tx, {
            contract: OrderRejectedV1,
            aggregateId: orderId,
            payload: { orderId, reason: 'insufficient-stock' },
          })
        : writer.append(tx, {
            contract: OrderCancelledV1,
            aggregateId: orderId,
            payload: { orderId, reason: 'reservation-expired' },
          }),
    );
    return envelope;
  }

  async function deliveryState(eventId: string, subscriber = REFUND_SUBSCRIBER): Promise<string | undefined> {
    const [row] = await dataSource.query(`SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`, [
      eventId,
      subscriber,
    ]);
    return row?.state;
  }

  async function handled(eventId: string): Promise<void> {
    await eventually(async () => expect(await deliveryState(eventId)).toBe('handled'));
  }

  async function paymentRow(id: string): Promise<{
    status: string;
    refunded_at: Date | null;
    refund_reason: string | null;
    refund_ref: string | null;
    owner_id: string;
  }> {
    const [row] = await dataSource.query(
      `SELECT status, refunded_at, refund_reason, refund_ref, owner_id FROM payments_payment WHERE id = $1`,
      [id],
    );
    return row;
  }

  /** The delivery of the payment's `payment-refund-requested` event to the gateway refunder. */
  async function gatewayRefundDelivery(
    paymentId: string,
  ): Promise<{ state: string; attempts: number; last_error: string | null } | undefined> {
    const [row] = await dataSource.query(
      `SELECT d.state, d.attempts, d.last_error FROM outbox_delivery d
       JOIN outbox_event e ON e.id = d.event_id
       WHERE d.subscriber = $1 AND e.type = 'payments.payment-refund-requested' AND e.aggregate_id = $2`,
      [GATEWAY_REFUND_SUBSCRIBER, paymentId],
    );
    return row;
  }

  /** The net of the payment's own postings per account, and how many entries make it. */
  async function netByAccount(paymentId: string): Promise<Array<{ account: string; net: number; entries: number }>> {
    const rows: Array<{ account: string; net: string; entries: number }> = await dataSource.query(
      `SELECT account, sum(amount)::bigint AS net, count(*)::int AS entries FROM ledger_entry
       WHERE source = $1 GROUP BY account ORDER BY account`,
      [`payment-${paymentId}`],
    );
    return rows.map((row) => ({ ...row, net: Number(row.net) }));
  }

  /** `payments.payment-refunded` payloads of the payment that the relay has moved to `outbox_event`. */
  async function relayedRefunds(paymentId: string): Promise<unknown[]> {
    const rows: Array<{ payload: unknown }> = await dataSource.query(
      `SELECT payload FROM outbox_event WHERE type = 'payments.payment-refunded' AND aggregate_id = $1`,
      [paymentId],
    );
    return rows.map((row) => row.payload);
  }

  /** The refunds the stub provider made for the payment (its key is `refund-<payment id>`). */
  async function gatewayRefunds(
    paymentId: string,
  ): Promise<Array<{ gateway_ref: string; amount: string; refund_ref: string }>> {
    return (await t.stub.refunds())
      .filter((refund) => refund.idempotencyKey === `refund-${paymentId}`)
      .map((refund) => ({ gateway_ref: refund.charge, amount: String(refund.amount), refund_ref: refund.id }));
  }

  /**
   * Asserts the payment was refunded exactly once, everywhere it shows, for `reason`: at the
   * provider first, then recorded with the provider's refund reference, which the event carries.
   */
  async function expectRefundedOnce(paymentId: string, orderId: string, reason: string): Promise<void> {
    const row = await eventually(async () => {
      const current = await paymentRow(paymentId);
      expect(current.status).toBe('refunded');
      return current;
    });
    expect(row).toMatchObject({ status: 'refunded', refund_reason: reason });
    expect(row.refunded_at).toBeInstanceOf(Date);
    // The money went back at the gateway, once, for the charge it took; its reference is recorded.
    const [charge] = await providerCharges(t, paymentId);
    const made = await gatewayRefunds(paymentId);
    expect(made).toEqual([{ gateway_ref: charge.gateway_ref, amount: String(TOTAL), refund_ref: expect.any(String) }]);
    expect(row.refund_ref).toBe(made[0]!.refund_ref);
    // The reversal is new entries under the payment's source; nothing was edited or removed.
    // An order payment is held for its customer (customer:<id>:orders) until shipped or refunded.
    const held = `customer:${row.owner_id}:orders`;
    expect(await paymentPostings(dataSource, paymentId)).toEqual([
      { kind: 'payment-received', entries: 2, total: 0, accounts: [held, 'gateway:cash'] },
      { kind: 'payment-refunded', entries: 2, total: 0, accounts: [held, 'gateway:cash'] },
    ]);
    expect(await netByAccount(paymentId)).toEqual([
      { account: held, net: 0, entries: 2 },
      { account: 'gateway:cash', net: 0, entries: 2 },
    ]);
    await eventually(async () =>
      expect(await relayedRefunds(paymentId)).toEqual([
        {
          paymentId,
          purpose: 'order',
          referenceId: orderId,
          amount: TOTAL,
          currency: 'SAR',
          reason,
          refundRef: row.refund_ref,
        },
      ]),
    );
    expect(await eventsOf(dataSource, 'payments.payment-refunded', paymentId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-refund-requested', paymentId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', paymentId)).toBe(1);
  }

  async function confirmedOrderPayment(): Promise<{ orderId: string; paymentId: string; payer: Principal }> {
    const payer = customer();
    const orderId = openOrder(payer.sub);
    const res = await pay(t, payer, { purpose: 'order', referenceId: orderId, amount: TOTAL });
    expect(res.status).toBe(202);
    await settledPayment(t, res.body.id, ['confirmed']);
    return { orderId, paymentId: res.body.id, payer };
  }

  it('refunds a payment once when its order is rejected after it was confirmed, and keeps the API view', async () => {
    const { orderId, paymentId, payer } = await confirmedOrderPayment();
    const rejected = await closeOrder(orderId, 'rejected');
    await handled(rejected.id);

    await expectRefundedOnce(paymentId, orderId, 'order rejected (insufficient-stock)');
    const view = await getPayment(t, payer, paymentId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ status: 'refunded', confirmedAt: expect.any(String) });
    // API.md's Payment: the refund's time and reason stay internal.
    expect(Object.keys(view.body).sort()).toEqual(
      [
        'amount',
        'confirmedAt',
        'createdAt',
        'currency',
        'failureReason',
        'gatewayRef',
        'id',
        'purpose',
        'referenceId',
        'status',
      ].sort(),
    );
    await eventually(async () => expect((await gatewayRefundDelivery(paymentId))?.state).toBe('handled'));
  });

  it('states payment-refunded only once the provider answered the refund: a failed refund is retried under the same key', async () => {
    const { orderId, paymentId, payer } = await confirmedOrderPayment();
    // The provider answers 503 to every request: the refund is asked for and fails, again and again.
    await t.stub.configure({ errorRate: 1 });
    try {
      const rejected = await closeOrder(orderId, 'rejected');
      await handled(rejected.id);
      await eventually(async () => {
        const delivery = await gatewayRefundDelivery(paymentId);
        expect(delivery?.attempts).toBeGreaterThanOrEqual(2);
        expect(delivery?.last_error).toMatch(/503|unavailable/i);
      });
      // Requested, not a fact: no reference, no reversal, no payment-refunded; the API still shows it confirmed.
      expect(await paymentRow(paymentId)).toMatchObject({
        status: 'refunding',
        refund_reason: 'order rejected (insufficient-stock)',
        refund_ref: null,
        refunded_at: null,
      });
      expect(await eventsOf(dataSource, 'payments.payment-refunded', paymentId)).toBe(0);
      expect((await paymentPostings(dataSource, paymentId)).map((p) => p.kind)).toEqual(['payment-received']);
      expect(await gatewayRefunds(paymentId)).toEqual([]);
      expect((await getPayment(t, payer, paymentId)).body.status).toBe('confirmed');
    } finally {
      await t.stub.configure({ errorRate: 0 });
    }
    // The provider is back: the retry (same key) makes the refund once, and it is recorded once.
    await expectRefundedOnce(paymentId, orderId, 'order rejected (insufficient-stock)');
    const [request] = (await t.stub.refunds()).filter((refund) => refund.idempotencyKey === `refund-${paymentId}`);
    expect(request).toBeDefined();
    expect((await gatewayRefundDelivery(paymentId))?.state).toBe('handled');
  });

  it('refunds once when the rejection is delivered three times, and when a second closing event follows', async () => {
    const { orderId, paymentId } = await confirmedOrderPayment();
    const rejected = await closeOrder(orderId, 'rejected');
    await handled(rejected.id);

    // Redeliver the same event twice more, as a stalled job or a re-drive would.
    const queue = t.app.get(LaneQueues).queue('critical');
    const copies = [1, 2].map((copy) => `${rejected.id}-${REFUND_SUBSCRIBER}-copy-${copy}`);
    await queue.addBulk(
      copies.map((jobId) => ({
        name: REFUND_SUBSCRIBER,
        data: { subscriber: REFUND_SUBSCRIBER, envelope: rejected } satisfies DeliveryJobData,
        opts: { jobId },
      })),
    );
    await eventually(async () => {
      for (const jobId of copies) expect(await (await queue.getJob(jobId))?.getState()).toBe('completed');
    });
    const [{ inbox }] = await dataSource.query(
      `SELECT count(*)::int AS inbox FROM outbox_inbox WHERE subscriber = $1 AND event_id = $2`,
      [REFUND_SUBSCRIBER, rejected.id],
    );
    expect(inbox).toBe(1);

    // A different event about the same order (a late cancellation) passes the inbox, not the refund's compare-and-set.
    const cancelled = await closeOrder(orderId, 'cancelled');
    await handled(cancelled.id);

    await expectRefundedOnce(paymentId, orderId, 'order rejected (insufficient-stock)');
  });

  it('refunds at confirmation a payment whose order closed while its charge was under way', async () => {
    const payer = customer();
    const orderId = openOrder(payer.sub);
    const res = await pay(t, payer, { purpose: 'order', referenceId: orderId, amount: TOTAL });
    expect(res.status).toBe(202);
    const paymentId: string = res.body.id;
    // The charging worker is inside its gateway call (LATENCY_MS): the order closes now.
    await chargeInFlight(dataSource, paymentId);
    const cancelled = await closeOrder(orderId, 'cancelled');

    await settledPayment(t, paymentId, ['refunded'], LATENCY_MS * 10);
    await handled(cancelled.id);
    await expectRefundedOnce(paymentId, orderId, 'order closed before the payment was confirmed');
  });

  it('still refunds at the gateway a payment-refunded delivered by the release before refunds were requested first', async () => {
    const { orderId, paymentId } = await confirmedOrderPayment();
    const reason = 'order rejected (insufficient-stock)';
    // The previous release refunded in one transaction without asking the provider: the row went
    // straight to `refunded` (no reference), the posting was reversed, and payment-refunded v1 was
    // appended without `refundRef`; its `payments.refund-at-gateway` then gave the money back.
    const ledger = t.app.get(LedgerApi);
    const [refunded] = await dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE payments_payment SET status = 'refunded', refund_reason = $2, refunded_at = now(), updated_at = now()
         WHERE id = $1 AND status = 'confirmed'`,
        [paymentId, reason],
      );
      const source = `payment-${paymentId}`;
      const received = await ledger.entries(tx, source, EntryKinds.paymentReceived);
      await ledger.post(tx, {
        source,
        kind: EntryKinds.paymentRefunded,
        currency: 'SAR',
        legs: reversed(received),
      });
      return writer.append(tx, {
        contract: PaymentRefundedV1,
        aggregateId: paymentId,
        payload: { paymentId, purpose: 'order', referenceId: orderId, amount: TOTAL, currency: 'SAR', reason },
      });
    });
    await eventually(async () => expect(await relayedRefunds(paymentId)).toHaveLength(1));
    // This release's relay routes it to no gateway refunder: the retired one gets no new delivery.
    const deliveriesOf = async (subscriber: string): Promise<unknown[]> =>
      dataSource.query(`SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`, [
        refunded!.id,
        subscriber,
      ]);
    expect(await deliveriesOf(RETIRED_GATEWAY_REFUND_SUBSCRIBER)).toEqual([]);
    expect(await deliveriesOf(GATEWAY_REFUND_SUBSCRIBER)).toEqual([]);
    expect(await gatewayRefunds(paymentId)).toEqual([]);

    // The delivery the previous release's relay made (its ledger row and its job), still in flight.
    const queue = t.app.get(LaneQueues).queue('critical');
    const jobId = deliveryJobId(refunded!.id, RETIRED_GATEWAY_REFUND_SUBSCRIBER);
    await dataSource.query(
      `INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id, enqueued_at)
       VALUES ($1, $2, 'critical', 'enqueued', $3, now())`,
      [refunded!.id, RETIRED_GATEWAY_REFUND_SUBSCRIBER, jobId],
    );
    await queue.add(
      RETIRED_GATEWAY_REFUND_SUBSCRIBER,
      { subscriber: RETIRED_GATEWAY_REFUND_SUBSCRIBER, envelope: refunded! } satisfies DeliveryJobData,
      { jobId },
    );
    await eventually(async () =>
      expect(await deliveriesOf(RETIRED_GATEWAY_REFUND_SUBSCRIBER)).toEqual([{ state: 'handled' }]),
    );

    // The money went back once, under the same key, for the charge taken; its reference is stored.
    const [charge] = await providerCharges(t, paymentId);
    const made = await gatewayRefunds(paymentId);
    expect(made).toEqual([{ gateway_ref: charge.gateway_ref, amount: String(TOTAL), refund_ref: expect.any(String) }]);
    expect(await paymentRow(paymentId)).toMatchObject({
      status: 'refunded',
      refund_reason: reason,
      refund_ref: made[0]!.refund_ref,
    });
    // Nothing was stated again: the old release's event stays the only one, and no refund was requested.
    expect(await eventsOf(dataSource, 'payments.payment-refunded', paymentId)).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-refund-requested', paymentId)).toBe(0);
    expect((await paymentPostings(dataSource, paymentId)).map((p) => p.kind)).toEqual([
      'payment-received',
      'payment-refunded',
    ]);

    // Delivered again (a stalled job, a replayed dead letter): the inbox skips it, nothing more is refunded.
    const again = `${jobId}-again`;
    await queue.add(
      RETIRED_GATEWAY_REFUND_SUBSCRIBER,
      { subscriber: RETIRED_GATEWAY_REFUND_SUBSCRIBER, envelope: refunded! } satisfies DeliveryJobData,
      { jobId: again },
    );
    await eventually(async () => expect(await (await queue.getJob(again))?.getState()).toBe('completed'));
    expect(await gatewayRefunds(paymentId)).toEqual(made);
    expect((await paymentRow(paymentId)).refund_ref).toBe(made[0]!.refund_ref);
  });

  it('refunds a second confirmed payment of an order as a duplicate and refuses a third with 409 already-paid', async () => {
    const { orderId, paymentId: first, payer } = await confirmedOrderPayment();

    // A second payment accepted around the request handler's checks, as a race past them would.
    const second = randomUUID();
    await dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO payments_payment (id, purpose, reference_id, owner_id, amount, currency, status)
         VALUES ($1, 'order', $2, $3, $4, 'SAR', 'pending')`,
        [second, orderId, payer.sub, TOTAL],
      );
      await writer.append(tx, {
        contract: PaymentRequestedV1,
        aggregateId: second,
        payload: { paymentId: second, purpose: 'order', referenceId: orderId, amount: TOTAL, currency: 'SAR' },
      });
    });
    await settledPayment(t, second, ['refunded'], LATENCY_MS * 10);
    await expectRefundedOnce(second, orderId, `duplicate payment: order ${orderId} was already paid`);

    // The first payment keeps the money: confirmed, posted once, not refunded anywhere.
    expect((await paymentRow(first)).status).toBe('confirmed');
    expect(await netByAccount(first)).toEqual([
      { account: `customer:${payer.sub}:orders`, net: -TOTAL, entries: 1 },
      { account: 'gateway:cash', net: TOTAL, entries: 1 },
    ]);
    expect(await eventsOf(dataSource, 'payments.payment-refunded', first)).toBe(0);
    expect(await gatewayRefunds(first)).toEqual([]);

    // Before fulfilment marks the order settled, its confirmed payment already refuses another.
    const third = await pay(t, payer, { purpose: 'order', referenceId: orderId, amount: TOTAL });
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ type: '/problems/already-paid', status: 409 });
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM payments_payment WHERE reference_id = $1`, [
      orderId,
    ]);
    expect(n).toBe(2);
  });

  it('answers a payment for a closed order with 409 reference-closed and for a settled one with 409 already-paid', async () => {
    const payer = customer();
    const closed = openOrder(payer.sub, 'closed');
    const settled = openOrder(payer.sub, 'settled');

    const refused = await pay(t, payer, { purpose: 'order', referenceId: closed, amount: TOTAL });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(refused.body).toMatchObject({ type: '/problems/reference-closed', status: 409 });

    const paid = await pay(t, payer, { purpose: 'order', referenceId: settled, amount: TOTAL });
    expect(paid.status).toBe(409);
    expect(paid.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(paid.body).toMatchObject({ type: '/problems/already-paid', status: 409 });

    // Standing is checked before the amount: a closed order refuses even a wrong amount as closed.
    const wrongAmount = await pay(t, admin, { purpose: 'order', referenceId: closed, amount: 1 });
    expect(wrongAmount.body.type).toBe('/problems/reference-closed');

    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM payments_payment WHERE reference_id = ANY($1)`,
      [[closed, settled]],
    );
    expect(n).toBe(0);
  });
});
