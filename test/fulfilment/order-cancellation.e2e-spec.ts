import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import { reconciliationClient } from '../support/reconciliation.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import type { TestApp } from '../support/test-app.js';
import {
  admin,
  buckets,
  customer,
  getOrder,
  laneQueue,
  orderEvents,
  orderInStatus,
  payOrder,
  placeOrder,
  stockedSku,
} from './order-fixtures.js';
import request from 'supertest';

const TTL_MS = 400;
const location = () => ({ id: `loc-${randomUUID().slice(0, 6)}`, lat: 24.7, lon: 46.7 });

const paymentOf = async (t: TestApp, id: string) =>
  (
    await request(t.url)
      .get(`/v1/payments/${id}`)
      .set('Authorization', `Bearer ${t.token(admin)}`)
  ).body;

/**
 * Waits until order `id` has been reserved for longer than the TTL by the clock the reconciler
 * reads (this process's `Date.now()` against `reserved_at`): from then on a run treats it as expired.
 */
const pastReservationTtl = (db: DataSource, id: string) =>
  eventually(async () => {
    const [{ reserved_at }]: Array<{ reserved_at: Date }> = await db.query(
      `SELECT reserved_at FROM fulfilment_order WHERE id = $1`,
      [id],
    );
    expect(Date.now() - reserved_at.getTime()).toBeGreaterThan(TTL_MS);
  });

/** A payment's net effect on the ledger, per account: zero everywhere once refunded. */
const paymentLedger = (db: DataSource, paymentId: string) =>
  db.query(
    `SELECT account, sum(amount)::int AS net, count(*)::int AS entries FROM ledger_entry
     WHERE source = $1 GROUP BY account ORDER BY account`,
    [`payment-${paymentId}`],
  );

describe('orders: cancellation, reservation TTL and refunds', () => {
  const t = useApp(() =>
    startTestAppWithStub({
      env: {
        OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
        ORDER_RESERVATION_TTL_MS: String(TTL_MS),
        RECONCILIATION_INTERVAL_MS: '3600000',
      },
    }),
  );
  let db: DataSource;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    await reconciliationClient(t).afterStartRuns('fulfilment-cancel-expired-reservations');
  });

  it('cancels an order unpaid after the reservation TTL and releases its stock once, however many runs', async () => {
    const sku = await stockedSku(t, 1200, [{ location: location(), onHand: 5 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 3 }]);
    await orderInStatus(t, order.id, 'reserved');
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 5, reserved: 3 })]);
    await pastReservationTtl(db, order.id);

    const reconciliation = reconciliationClient(t);
    // Two runs at once, then a third: the release happens once.
    const runs = await Promise.all([
      reconciliation.requestRun('fulfilment-cancel-expired-reservations'),
      reconciliation.requestRun('fulfilment-cancel-expired-reservations'),
    ]);
    await Promise.all(runs.map((id) => reconciliation.finished(id)));
    await reconciliation.run('fulfilment-cancel-expired-reservations');

    const cancelled = await orderInStatus(t, order.id, 'cancelled');
    expect(cancelled.rejectionReason).toBe('reservation-expired');
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 5, reserved: 0 })]);
    const events = await orderEvents(db, 'fulfilment.order-cancelled', order.id);
    expect(events.map((e) => e.payload)).toEqual([{ orderId: order.id, reason: 'reservation-expired' }]);

    // The order no longer takes payment.
    await expect(payOrder(t, buyer, order)).rejects.toThrow(/answered 409.*reference-closed/);
  });

  it('waits for a payment still pending instead of cancelling at the TTL', async () => {
    const sku = await stockedSku(t, 1200, [{ location: location(), onHand: 5 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
    await orderInStatus(t, order.id, 'reserved');
    // Hold the gateway charge (critical lane): the payment stays pending past the TTL.
    const critical = laneQueue(t, 'critical');
    await critical.pause();
    let paymentId: string;
    try {
      paymentId = await payOrder(t, buyer, order);
      await pastReservationTtl(db, order.id);
      const run = await reconciliationClient(t).run('fulfilment-cancel-expired-reservations');
      expect(run.status).toBe('succeeded');
      expect(
        await reconciliationClient(t).findings('fulfilment-cancel-expired-reservations', `order:${order.id}`),
      ).toEqual([]);
      expect((await getOrder(t, order.id)).body.status).toBe('reserved');
    } finally {
      await critical.resume();
    }
    await orderInStatus(t, order.id, 'shipped');
    expect((await paymentOf(t, paymentId)).status).toBe('confirmed');
    expect(await orderEvents(db, 'fulfilment.order-cancelled', order.id)).toEqual([]);
  });

  it('leaves a paid order alone when its reservation is older than the TTL', async () => {
    const sku = await stockedSku(t, 1200, [{ location: location(), onHand: 5 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 1 }]);
    await orderInStatus(t, order.id, 'reserved');
    await payOrder(t, buyer, order);
    await orderInStatus(t, order.id, 'shipped');
    await pastReservationTtl(db, order.id);
    await reconciliationClient(t).run('fulfilment-cancel-expired-reservations');
    expect((await getOrder(t, order.id)).body.status).toBe('shipped');
    expect(await orderEvents(db, 'fulfilment.order-cancelled', order.id)).toEqual([]);
  });

  it('refunds a payment confirmed before the order was rejected', async () => {
    const sku = await stockedSku(t, 1200, [{ location: location(), onHand: 1 }]);
    const buyer = customer();
    const reservations = laneQueue(t, 'default');
    await reservations.pause();
    let order: { id: string; total: number };
    let paymentId: string;
    try {
      ({ body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]));
      paymentId = await payOrder(t, buyer, order);
      await orderInStatus(t, order.id, 'paid');
    } finally {
      await reservations.resume();
    }
    const rejected = await orderInStatus(t, order.id, 'rejected');
    expect(rejected.rejectionReason).toBe('insufficient-stock');
    await eventually(async () => expect((await getOrder(t, order.id)).body.paymentStatus).toBe('refunded'));
    expect((await paymentOf(t, paymentId)).status).toBe('refunded');
    expect(await paymentLedger(db, paymentId)).toEqual([
      { account: `customer:${buyer.sub}:orders`, net: 0, entries: 2 },
      { account: 'gateway:cash', net: 0, entries: 2 },
    ]);
    const refunds = await orderEvents(db, 'payments.payment-refunded', order.id);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.payload).toMatchObject({ paymentId, referenceId: order.id, amount: 2400, purpose: 'order' });
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 1, reserved: 0 })]);
  });

  it('refunds a payment requested before the rejection and confirmed after it', async () => {
    const sku = await stockedSku(t, 1200, [{ location: location(), onHand: 1 }]);
    const buyer = customer();
    // Hold reservations until the payment is requested, and the gateway charge (critical lane)
    // until the order is rejected.
    const reservations = laneQueue(t, 'default');
    const critical = laneQueue(t, 'critical');
    await reservations.pause();
    await critical.pause();
    let order: { id: string; total: number };
    let paymentId: string;
    try {
      ({ body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]));
      paymentId = await payOrder(t, buyer, order);
      await reservations.resume();
      await orderInStatus(t, order.id, 'rejected');
      expect((await paymentOf(t, paymentId)).status).toBe('pending');
    } finally {
      await reservations.resume();
      await critical.resume();
    }
    await eventually(async () => expect((await paymentOf(t, paymentId)).status).toBe('refunded'));
    await eventually(async () => expect((await getOrder(t, order.id)).body.paymentStatus).toBe('refunded'));
    expect(await orderEvents(db, 'payments.payment-refunded', order.id)).toHaveLength(1);
    expect(await paymentLedger(db, paymentId)).toEqual([
      { account: `customer:${buyer.sub}:orders`, net: 0, entries: 2 },
      { account: 'gateway:cash', net: 0, entries: 2 },
    ]);
  });
});

describe('orders: a failed payment cancels the order', () => {
  const t = useApp(() =>
    startTestAppWithStub(
      {
        env: {
          OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
          RECONCILIATION_INTERVAL_MS: '3600000',
        },
      },
      { STUB_DECLINE_RATE: '1' },
    ),
  );
  let db: DataSource;

  beforeAll(async () => {
    db = t.app.get(DataSource);
  });

  it('cancels the reserved order and releases its stock once', async () => {
    const sku = await stockedSku(t, 800, [{ location: location(), onHand: 4 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 4 }]);
    await orderInStatus(t, order.id, 'reserved');
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 4, reserved: 4 })]);
    const paymentId = await payOrder(t, buyer, order);
    const cancelled = await orderInStatus(t, order.id, 'cancelled');
    expect(cancelled).toMatchObject({ paymentStatus: 'failed', rejectionReason: 'payment-failed' });
    expect((await paymentOf(t, paymentId)).status).toBe('failed');
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 4, reserved: 0 })]);
    expect(await orderEvents(db, 'fulfilment.order-cancelled', order.id)).toHaveLength(1);
    expect(await orderEvents(db, 'payments.payment-refunded', order.id)).toEqual([]);
  });
});
