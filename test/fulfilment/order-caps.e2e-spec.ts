import { randomUUID } from 'node:crypto';
import { eventually } from '../support/eventually.js';
import { DataSource } from 'typeorm';
import { admin, buckets, customer, orderInStatus, payOrder, placeOrder, stockedSku } from './order-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const MAX_OPEN_UNPAID = 3;
const MAX_UNITS = 10;

/**
 * Abuse caps (issue 12, point 10): a customer holds at most ORDER_MAX_OPEN_UNPAID orders that are
 * placed or reserved without a confirmed payment, and one order asks for at most ORDER_MAX_UNITS
 * units in all. Beyond that: 409 / 422 problem+json, and nothing is written or reserved.
 */
describe('order abuse caps', () => {
  const t = useTestApp({
    env: {
      ORDER_MAX_OPEN_UNPAID: String(MAX_OPEN_UNPAID),
      ORDER_MAX_UNITS: String(MAX_UNITS),
      OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
      RECONCILIATION_INTERVAL_MS: '3600000',
      RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  let db: DataSource;
  let sku: string;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    sku = await stockedSku(t, 1000, [
      { location: { id: `caps-${randomUUID().slice(0, 6)}`, lat: 24.8, lon: 46.6 }, onHand: 1000 },
    ]);
  });

  const ordersOf = async (customerId: string): Promise<number> =>
    (await db.query(`SELECT count(*)::int AS n FROM fulfilment_order WHERE customer_id = $1`, [customerId]))[0].n;
  const placedEventsOf = async (customerId: string): Promise<number> =>
    (
      await db.query(
        `SELECT count(*)::int AS n FROM (
           SELECT payload FROM outbox_event WHERE type = 'fulfilment.order-placed'
           UNION ALL SELECT payload FROM outbox_message WHERE type = 'fulfilment.order-placed') e
         WHERE payload->>'customerId' = $1`,
        [customerId],
      )
    )[0].n;
  const reservedUnits = async (): Promise<number> =>
    (await buckets(t, sku)).reduce((sum, bucket) => sum + bucket.reserved, 0);
  /**
   * The reserved units once every order placed so far has been through reservation (it runs after
   * the 202, in the worker), so a later reading differs only by what the test itself does.
   */
  const settledReservedUnits = async (): Promise<number> => {
    await eventually(async () => {
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM fulfilment_order WHERE status = 'placed'`);
      expect(n).toBe(0);
    });
    return reservedUnits();
  };

  it(`refuses a customer's order beyond ${MAX_OPEN_UNPAID} open unpaid ones with 409, writing and reserving nothing`, async () => {
    const buyer = customer();
    const placed = [];
    for (let i = 0; i < MAX_OPEN_UNPAID; i += 1) {
      const res = await placeOrder(t, buyer, [{ sku, quantity: 1 }]);
      expect(res.status).toBe(202);
      placed.push(res.body as { id: string; total: number });
    }
    // Held stock and awaiting payment: `reserved` is still open and unpaid.
    for (const order of placed) await orderInStatus(t, order.id, 'reserved');
    const reservedBefore = await settledReservedUnits();

    const key = `order-${randomUUID()}`;
    const refused = await placeOrder(t, buyer, [{ sku, quantity: 1 }], { key });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(refused.body).toMatchObject({
      type: '/problems/too-many-open-orders',
      maxOpenUnpaidOrders: MAX_OPEN_UNPAID,
    });
    // An admin ordering for the customer counts against the same cap.
    expect((await placeOrder(t, admin, [{ sku, quantity: 1 }], { customerId: buyer.sub })).status).toBe(409);
    expect(await ordersOf(buyer.sub)).toBe(MAX_OPEN_UNPAID);
    expect(await placedEventsOf(buyer.sub)).toBe(MAX_OPEN_UNPAID);
    expect(await reservedUnits()).toBe(reservedBefore);
    // The refusal was not stored with the key: once a slot frees, the same key places the order.
    await payOrder(t, buyer, placed[0]!);
    await orderInStatus(t, placed[0]!.id, 'shipped');
    const retried = await placeOrder(t, buyer, [{ sku, quantity: 1 }], { key });
    expect(retried.status).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await ordersOf(buyer.sub)).toBe(MAX_OPEN_UNPAID + 1);
  });

  it('lets exactly the cap through when one customer races many orders at once', async () => {
    const buyer = customer();
    const answers = await Promise.all(Array.from({ length: 12 }, () => placeOrder(t, buyer, [{ sku, quantity: 1 }])));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(MAX_OPEN_UNPAID);
    expect(statuses.filter((s) => s === 409)).toHaveLength(12 - MAX_OPEN_UNPAID);
    expect(await ordersOf(buyer.sub)).toBe(MAX_OPEN_UNPAID);
    expect(await placedEventsOf(buyer.sub)).toBe(MAX_OPEN_UNPAID);
  });

  it("counts per customer: another customer is not held back by the first one's orders", async () => {
    const first = customer();
    for (let i = 0; i < MAX_OPEN_UNPAID; i += 1) {
      expect((await placeOrder(t, first, [{ sku, quantity: 1 }])).status).toBe(202);
    }
    expect((await placeOrder(t, customer(), [{ sku, quantity: 1 }])).status).toBe(202);
  });

  it(`refuses an order of more than ${MAX_UNITS} units in all with 422, writing and reserving nothing`, async () => {
    const buyer = customer();
    const other = await stockedSku(t, 500, [
      { location: { id: `caps-${randomUUID().slice(0, 6)}`, lat: 24.8, lon: 46.6 }, onHand: 1000 },
    ]);
    const reservedBefore = await settledReservedUnits();
    for (const lines of [
      [{ sku, quantity: MAX_UNITS + 1 }],
      // The cap is on the order's sum of quantities, not per line.
      [
        { sku, quantity: 6 },
        { sku: other, quantity: 5 },
      ],
    ]) {
      const res = await placeOrder(t, buyer, lines);
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ type: '/problems/too-many-units', maxUnits: MAX_UNITS });
    }
    expect(await ordersOf(buyer.sub)).toBe(0);
    expect(await placedEventsOf(buyer.sub)).toBe(0);
    expect(await reservedUnits()).toBe(reservedBefore);

    const atCap = await placeOrder(t, buyer, [
      { sku, quantity: 5 },
      { sku: other, quantity: 5 },
    ]);
    expect(atCap.status).toBe(202);
  });
});
