import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Envelope } from '../../src/outbox/index.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { reconciliationClient } from '../support/reconciliation.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import {
  admin,
  type Bucket,
  buckets,
  customer,
  getOrder,
  laneQueue,
  countOrderEvents,
  orderEvents,
  orderInStatus,
  sampledBuckets,
  payOrder,
  placeOrder,
  deliverAsBeforeRetirement,
  redeliver,
  RIYADH,
  stockedSku,
} from './order-fixtures.js';
import { pace } from '../support/pace.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const place = (id: string) => ({ id: `${id}-${randomUUID().slice(0, 6)}` });

describe('orders: placement, reservation, readiness, shipping', () => {
  const t = useApp(() =>
    startTestAppWithStub({
      env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '100', RECONCILIATION_INTERVAL_MS: '3600000' },
    }),
  );
  let db: DataSource;

  beforeAll(async () => {
    db = t.app.get(DataSource);
  });

  describe('POST /v1/orders', () => {
    let sku: string;
    let other: string;
    beforeAll(async () => {
      sku = await stockedSku(t, 2500, [{ location: { ...place('wh'), lat: 24.8, lon: 46.6 }, onHand: 50 }]);
      other = await stockedSku(t, 990, [{ location: { ...place('wh'), lat: 24.8, lon: 46.6 }, onHand: 50 }]);
    });

    it('accepts an order (202 placed), computes its total from SKU prices and publishes order-placed', async () => {
      const buyer = customer();
      const res = await placeOrder(t, buyer, [
        { sku, quantity: 3 },
        { sku: other, quantity: 2 },
      ]);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        customerId: buyer.sub,
        lines: [
          { sku, quantity: 3 },
          { sku: other, quantity: 2 },
        ],
        total: 3 * 2500 + 2 * 990,
        currency: 'SAR',
        status: 'placed',
        paymentStatus: 'none',
        allocations: [],
        routing: null,
        rejectionReason: null,
        shippedAt: null,
      });
      const placed = await orderEvents(db, 'fulfilment.order-placed', res.body.id);
      expect(placed).toHaveLength(1);
      expect(placed[0]!.payload).toEqual({
        orderId: res.body.id,
        customerId: buyer.sub,
        lines: res.body.lines,
        total: 9480,
        currency: 'SAR',
      });
      expect((await getOrder(t, res.body.id, buyer)).status).toBe(200);
      expect((await getOrder(t, res.body.id, customer())).status).toBe(404);
    });

    it('replays the first answer for the same Idempotency-Key and creates one order', async () => {
      const buyer = customer();
      const key = `k-${randomUUID()}`;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => placeOrder(t, buyer, [{ sku, quantity: 1 }], { key })),
      );
      const accepted = answers.filter((a) => a.status === 202);
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
      expect(new Set(accepted.map((a) => a.body.id)).size).toBe(1);
      const again = await placeOrder(t, buyer, [{ sku, quantity: 1 }], { key });
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(accepted[0]!.body.id);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM fulfilment_order WHERE customer_id = $1`, [
        buyer.sub,
      ]);
      expect(n).toBe(1);
    });

    it('refuses bad orders with 400 and stores nothing', async () => {
      const buyer = customer();
      const cases: Array<[Array<{ sku: string; quantity: number }>, Record<string, unknown>, string | undefined]> = [
        [[{ sku: 'NO-SUCH-SKU', quantity: 1 }], {}, 'unknown-sku'],
        [[{ sku, quantity: 0 }], {}, 'validation-failed'],
        [[{ sku, quantity: 1.5 }], {}, 'validation-failed'],
        [[], {}, 'validation-failed'],
        [
          [
            { sku, quantity: 1 },
            { sku, quantity: 2 },
          ],
          {},
          'invalid-order-lines',
        ],
        [[{ sku, quantity: 1 }], { total: 1 }, 'validation-failed'],
        [[{ sku, quantity: 1 }], { status: 'shipped' }, 'validation-failed'],
        [[{ sku, quantity: 1 }], { shipTo: { lat: 91, lon: 0 } }, 'validation-failed'],
      ];
      for (const [lines, extra, type] of cases) {
        const res = await placeOrder(t, buyer, lines, { extra });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
        expect(res.body.type).toBe(`/problems/${type}`);
      }
      expect((await placeOrder(t, buyer, [{ sku, quantity: 1 }], { key: null })).status).toBe(400);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM fulfilment_order WHERE customer_id = $1`, [
        buyer.sub,
      ]);
      expect(n).toBe(0);
    });

    it('lets customers order only for themselves (another customer is 404), and not citizens at all', async () => {
      const buyer = customer();
      expect((await placeOrder(t, buyer, [{ sku, quantity: 1 }], { customerId: 'someone-else' })).status).toBe(404);
      expect((await placeOrder(t, { sub: buyer.sub, roles: ['citizen'] }, [{ sku, quantity: 1 }])).status).toBe(403);
      expect((await placeOrder(t, admin, [{ sku, quantity: 1 }], { customerId: buyer.sub })).status).toBe(202);
    });
  });

  it('routes an order over more locations than the enumeration takes through the HiGHS worker pool, optimally', async () => {
    // 13 candidate locations (the enumeration takes up to 12), all at the door with no handling: each
    // `small` ships 2 units for 1000, `big` ships 3 for 1800. Greedy opens two smalls (2000); the MILP
    // optimum is `big` alone (1800).
    const atDoor = { ...RIYADH, handlingCostPerUnit: 0, shippingCostPerKm: 0 };
    const big = { ...place('big'), ...atDoor, fixedCostPerShipment: 1800 };
    const smalls = Array.from({ length: 12 }, (_, i) => ({
      location: { ...place(`small${i}`), ...atDoor, fixedCostPerShipment: 1000 },
      onHand: 2,
    }));
    const sku = await stockedSku(t, 100, [...smalls, { location: big, onHand: 3 }]);
    const placed = await placeOrder(t, customer(), [{ sku, quantity: 3 }]);
    expect(placed.status).toBe(202);
    const reserved = await orderInStatus(t, placed.body.id, 'reserved');
    expect(reserved.routing).toMatchObject({ solver: 'milp', cost: 1800 });
    expect(reserved.allocations).toEqual([{ locationId: big.id, sku, quantity: 3 }]);
  });

  it('reserves at least cost, records the routing, and ships once paid', async () => {
    // Per shipment: fixed 300 + 1.5/km; per unit: handling. With 3 units wanted, one from `near` and two
    // from `mid` (1175) beats two near + one mid (1225) and anything from `far` (1725 alone).
    const near = { ...place('near'), lat: 24.72, lon: 46.68, handlingCostPerUnit: 200, fixedCostPerShipment: 300 };
    const mid = { ...place('mid'), lat: 25.15, lon: 46.67, handlingCostPerUnit: 150, fixedCostPerShipment: 300 };
    const far = { ...place('far'), lat: 21.5, lon: 39.2, handlingCostPerUnit: 50, fixedCostPerShipment: 300 };
    const sku = await stockedSku(t, 4000, [
      { location: near, onHand: 2 },
      { location: mid, onHand: 2 },
      { location: far, onHand: 10 },
    ]);
    const buyer = customer();
    const placed = await placeOrder(t, buyer, [{ sku, quantity: 3 }]);
    expect(placed.status).toBe(202);
    const reserved = await orderInStatus(t, placed.body.id, 'reserved');
    const byLocation = (a: { locationId: string }, b: { locationId: string }) =>
      a.locationId.localeCompare(b.locationId);
    expect([...reserved.allocations].sort(byLocation)).toEqual(
      [
        { locationId: mid.id, sku, quantity: 2 },
        { locationId: near.id, sku, quantity: 1 },
      ].sort(byLocation),
    );
    expect(reserved.routing).toMatchObject({ solver: 'milp', cost: 1175 });
    expect(reserved.routing?.solverMs).toBeGreaterThan(0);
    expect(await buckets(t, sku)).toEqual(
      [
        { location_id: far.id, on_hand: 10, reserved: 0 },
        { location_id: mid.id, on_hand: 2, reserved: 2 },
        { location_id: near.id, on_hand: 2, reserved: 1 },
      ].sort((a, b) => a.location_id.localeCompare(b.location_id)),
    );

    await payOrder(t, buyer, placed.body);
    const shipped = await orderInStatus(t, placed.body.id, 'shipped');
    expect(shipped.paymentStatus).toBe('confirmed');
    expect(shipped.shippedAt).not.toBeNull();
    expect(await buckets(t, sku)).toEqual(
      [
        { location_id: far.id, on_hand: 10, reserved: 0 },
        { location_id: mid.id, on_hand: 0, reserved: 0 },
        { location_id: near.id, on_hand: 1, reserved: 0 },
      ].sort((a, b) => a.location_id.localeCompare(b.location_id)),
    );
    const shipments = await orderEvents(db, 'fulfilment.order-shipped', placed.body.id);
    expect(shipments.map((e) => e.payload)).toEqual([
      {
        orderId: placed.body.id,
        shipments: [
          { locationId: mid.id, lines: [{ sku, quantity: 2 }] },
          { locationId: near.id, lines: [{ sku, quantity: 1 }] },
        ].sort(byLocation),
      },
    ]);
    const ledger = await effects(t).ledgerEntries(`order-${placed.body.id}`, 'order-shipped');
    expect(ledger.map(({ account, amount }) => ({ account, amount }))).toEqual([
      { account: `customer:${buyer.sub}:orders`, amount: 12000 },
      { account: 'revenue:order', amount: -12000 },
    ]);
  });

  it('200 concurrent single-unit orders against 10 units over 3 locations: 10 reserved and shipped, 190 rejected', async () => {
    const sku = await stockedSku(t, 1500, [
      { location: { ...place('a'), lat: 24.6, lon: 46.7 }, onHand: 4 },
      { location: { ...place('b'), lat: 26.4, lon: 50.1 }, onHand: 3 },
      { location: { ...place('c'), lat: 21.5, lon: 39.2 }, onHand: 3 },
    ]);
    // Watch the buckets the whole time: never negative, never more reserved than on hand.
    const seen: Bucket[][] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(await sampledBuckets(db, sku));
        await pace(20); // the watcher's sampling interval, not a wait for an effect
      }
    })();

    // The watcher stops however the steps below end, so a failing step is reported as itself
    // rather than as the watcher's query on a closed connection after the app is gone.
    const ids = await (async () => {
      try {
        const buyers = Array.from({ length: 200 }, () => customer());
        const answers = await Promise.all(buyers.map((buyer) => placeOrder(t, buyer, [{ sku, quantity: 1 }])));
        // Every placement is accepted; a refusal is shown with its problem body, not only its status.
        expect(answers.filter((a) => a.status !== 202).map((a) => ({ status: a.status, body: a.body }))).toEqual([]);
        const ids = answers.map((a) => a.body.id as string);

        const settled = async () => {
          const rows: Array<{ status: string; n: number }> = await db.query(
            `SELECT status, count(*)::int AS n FROM fulfilment_order WHERE id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
            [ids],
          );
          return rows;
        };
        await eventually(
          async () =>
            expect(await settled()).toEqual([
              { status: 'rejected', n: 190 },
              { status: 'reserved', n: 10 },
            ]),
          { timeoutMs: 90_000 },
        );
        expect(await buckets(t, sku)).toEqual([
          expect.objectContaining({ on_hand: 4, reserved: 4 }),
          expect.objectContaining({ on_hand: 3, reserved: 3 }),
          expect.objectContaining({ on_hand: 3, reserved: 3 }),
        ]);
        const rejected: Array<{ id: string; allocations: unknown[] }> = await db.query(
          `SELECT id, allocations FROM fulfilment_order WHERE id = ANY($1::uuid[]) AND status = 'rejected'`,
          [ids],
        );
        expect(rejected.every((order) => order.allocations.length === 0)).toBe(true);
        const rejections = await countOrderEvents(db, 'fulfilment.order-rejected', ids);
        expect(rejections).toBe(190);

        const reservedOrders = answers
          .map((a, i) => ({ order: a.body as { id: string; total: number }, buyer: buyers[i]! }))
          .filter(({ order }) => !rejected.some((r) => r.id === order.id));
        expect(reservedOrders).toHaveLength(10);
        await Promise.all(reservedOrders.map(({ order, buyer }) => payOrder(t, buyer, order)));
        await eventually(
          async () =>
            expect(await settled()).toEqual([
              { status: 'rejected', n: 190 },
              { status: 'shipped', n: 10 },
            ]),
          { timeoutMs: 60_000 },
        );
        return ids;
      } finally {
        watching = false;
        await watcher;
      }
    })();

    expect((await buckets(t, sku)).map(({ on_hand, reserved }) => [on_hand, reserved])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const shipments = await countOrderEvents(db, 'fulfilment.order-shipped', ids);
    expect(shipments).toBe(10);
    expect(seen.length).toBeGreaterThan(0);
    for (const sample of seen) {
      for (const bucket of sample) {
        expect(bucket.reserved).toBeGreaterThanOrEqual(0);
        expect(bucket.on_hand).toBeGreaterThanOrEqual(bucket.reserved);
      }
      expect(sample.reduce((sum, b) => sum + b.reserved, 0)).toBeLessThanOrEqual(10);
    }
  }, 180_000);

  describe('readiness: reservation and payment in either order, each delivered three times, ship once', () => {
    /** The retired readiness subscriber gets no delivery of its own any more (docs/adr/0044-straight-flows.md). */
    const expectNoDeliveryToRetired = async (reservedEvent: Envelope) => {
      const deliveries = await db.query(`SELECT subscriber FROM outbox_delivery WHERE event_id = $1`, [
        reservedEvent.id,
      ]);
      expect(deliveries).toEqual([]);
    };

    const expectOneShipment = async (orderId: string, sku: string, onHandBefore: number) => {
      expect((await orderEvents(db, 'fulfilment.order-ready', orderId)).length).toBe(1);
      expect((await orderEvents(db, 'fulfilment.order-shipped', orderId)).length).toBe(1);
      const [bucket] = await buckets(t, sku);
      expect(bucket).toMatchObject({ on_hand: onHandBefore - 2, reserved: 0 });
      const ledger = await db.query(`SELECT count(*)::int AS n FROM ledger_entry WHERE source = $1`, [
        `order-${orderId}`,
      ]);
      expect(ledger).toEqual([{ n: 2 }]);
    };

    it('reservation first, then payment', async () => {
      const sku = await stockedSku(t, 700, [{ location: { ...place('r1'), lat: 24.7, lon: 46.7 }, onHand: 5 }]);
      const buyer = customer();
      const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
      await orderInStatus(t, order.id, 'reserved');
      const [reservedEvent] = await orderEvents(db, 'fulfilment.inventory-reserved', order.id);
      await expectNoDeliveryToRetired(reservedEvent!);
      // A delivery made before the release that retired it is still handled: a no-op here (not paid yet).
      await deliverAsBeforeRetirement(t, db, 'critical', 'fulfilment.ready-when-reserved', reservedEvent!);
      await redeliver(t, 'critical', 'fulfilment.ready-when-reserved', reservedEvent!, 2);
      expect((await getOrder(t, order.id)).body.status).toBe('reserved');

      await payOrder(t, buyer, order);
      await orderInStatus(t, order.id, 'shipped');
      const [paidEvent] = await orderEvents(db, 'payments.payment-confirmed', order.id);
      // The debts listener filters on purpose = debt: an order payment reaches fulfilment alone.
      const deliveries = await db.query(`SELECT subscriber FROM outbox_delivery WHERE event_id = $1`, [paidEvent!.id]);
      expect(deliveries).toEqual([{ subscriber: 'fulfilment.ready-when-paid' }]);
      await redeliver(t, 'critical', 'fulfilment.ready-when-paid', paidEvent!, 2);
      await redeliver(t, 'critical', 'fulfilment.ready-when-reserved', reservedEvent!, 1);
      await expectOneShipment(order.id, sku, 5);
    });

    it('payment first, then reservation', async () => {
      const sku = await stockedSku(t, 700, [{ location: { ...place('p1'), lat: 24.7, lon: 46.7 }, onHand: 5 }]);
      const buyer = customer();
      // Hold the default lane (reservation) while the critical lane (payments) flows.
      const reservations = laneQueue(t, 'default');
      await reservations.pause();
      let order: { id: string; total: number };
      try {
        ({ body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]));
        await payOrder(t, buyer, order);
        await orderInStatus(t, order.id, 'paid');
        const [paidEvent] = await orderEvents(db, 'payments.payment-confirmed', order.id);
        await redeliver(t, 'critical', 'fulfilment.ready-when-paid', paidEvent!, 2);
        const stillPaid = (await getOrder(t, order.id)).body;
        expect(stillPaid).toMatchObject({ status: 'paid', paymentStatus: 'confirmed', allocations: [] });
      } finally {
        await reservations.resume();
      }
      await orderInStatus(t, order.id, 'shipped');
      // The reservation found the payment and made the order ready in its own transaction.
      const [reservedEvent] = await orderEvents(db, 'fulfilment.inventory-reserved', order.id);
      await expectNoDeliveryToRetired(reservedEvent!);
      await deliverAsBeforeRetirement(t, db, 'critical', 'fulfilment.ready-when-reserved', reservedEvent!);
      await redeliver(t, 'critical', 'fulfilment.ready-when-reserved', reservedEvent!, 2);
      const [readyEvent] = await orderEvents(db, 'fulfilment.order-ready', order.id);
      await redeliver(t, 'critical', 'fulfilment.ship-when-ready', readyEvent!, 2);
      await expectOneShipment(order.id, sku, 5);
    });
  });

  it('does not take a second payment for a paid order (409 already-paid)', async () => {
    const sku = await stockedSku(t, 700, [{ location: { ...place('d1'), lat: 24.7, lon: 46.7 }, onHand: 5 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 1 }]);
    await payOrder(t, buyer, order);
    await orderInStatus(t, order.id, 'shipped');
    await expect(payOrder(t, buyer, order)).rejects.toThrow(/answered 409.*already-paid/);
  });

  it('reports a bucket whose reserved units no orders hold as an exception, and heals nothing', async () => {
    const reconciliation = reconciliationClient(t);
    const sku = await stockedSku(t, 700, [{ location: { ...place('x1'), lat: 24.7, lon: 46.7 }, onHand: 5 }]);
    const buyer = customer();
    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
    await orderInStatus(t, order.id, 'reserved');
    const [bucket] = await buckets(t, sku);
    const subject = `stock:${bucket!.location_id}/${sku}`;

    expect((await reconciliation.run('fulfilment-reservations-match-orders')).status).toBe('succeeded');
    expect(await reconciliation.findings('fulfilment-reservations-match-orders', subject)).toEqual([]);

    // A manual edit behind the orders' back: one more unit reserved than any order holds.
    await db.query(`UPDATE fulfilment_stock SET reserved = reserved + 1 WHERE sku = $1`, [sku]);
    expect((await reconciliation.run('fulfilment-reservations-match-orders')).status).toBe('succeeded');
    const findings = await reconciliation.findings('fulfilment-reservations-match-orders', subject);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      status: 'open',
      details: { reserved: 3, heldByOrders: 2, difference: 1, orders: [order.id] },
    });
    expect(await buckets(t, sku)).toEqual([expect.objectContaining({ on_hand: 5, reserved: 3 })]);
  });
});
