import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  type ClaimedRow,
  type DeliveryJobData,
  deliveryJobId,
  LaneQueues,
  toEnvelope,
} from '../../src/outbox/testing.js';
import type { Envelope, Lane } from '../../src/outbox/index.js';
import type { Principal } from '../../src/platform/index.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import type { TestApp } from '../support/test-app.js';

export const admin: Principal = { sub: 'ops-admin', roles: ['admin'] };
export const customer = (sub = `cust-${randomUUID().slice(0, 8)}`): Principal => ({ sub, roles: ['customer'] });

export interface LocationSpec {
  id: string;
  lat: number;
  lon: number;
  handlingCostPerUnit?: number;
  shippingCostPerKm?: number;
  fixedCostPerShipment?: number;
}

/** A fresh SKU priced `unitPrice` SAR and stocked per location as given, through the admin API. */
export async function stockedSku(
  t: TestApp,
  unitPrice: number,
  stock: Array<{ location: LocationSpec; onHand: number }>,
): Promise<string> {
  const auth = `Bearer ${t.token(admin)}`;
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  const put = async (path: string, body: object) => {
    const res = await request(t.url).put(path).set('Authorization', auth).send(body);
    if (res.status !== 200) throw new Error(`PUT ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  };
  await put(`/v1/catalog/skus/${sku}`, { name: `Item ${sku}`, unitPrice, currency: 'SAR' });
  for (const { location, onHand } of stock) {
    await put(`/v1/inventory/locations/${location.id}`, {
      name: `Location ${location.id}`,
      kind: 'warehouse',
      lat: location.lat,
      lon: location.lon,
      handlingCostPerUnit: location.handlingCostPerUnit ?? 100,
      shippingCostPerKm: location.shippingCostPerKm ?? 1.5,
      fixedCostPerShipment: location.fixedCostPerShipment ?? 500,
    });
    await put(`/v1/inventory/locations/${location.id}/stock/${sku}`, { onHand });
  }
  return sku;
}

/** Riyadh, where the test customers live. */
export const RIYADH = { lat: 24.71, lon: 46.67 };

/** `POST /v1/orders` as `principal` (own customer id unless `customerId` says otherwise). */
export function placeOrder(
  t: TestApp,
  principal: Principal,
  lines: Array<{ sku: string; quantity: number }>,
  { key = `order-${randomUUID()}`, customerId = principal.sub, extra = {} } = {} as {
    key?: string | null;
    customerId?: string;
    extra?: Record<string, unknown>;
  },
) {
  let req = request(t.url)
    .post('/v1/orders')
    .set('Authorization', `Bearer ${t.token(principal)}`);
  if (key !== null) req = req.set('Idempotency-Key', key);
  return req.send({ customerId, lines, shipTo: RIYADH, ...extra });
}

export function getOrder(t: TestApp, id: string, principal: Principal = admin) {
  return request(t.url)
    .get(`/v1/orders/${id}`)
    .set('Authorization', `Bearer ${t.token(principal)}`);
}

/** Pays order `order` in full as its customer; returns the payment id. */
export async function payOrder(
  t: TestApp,
  principal: Principal,
  order: { id: string; total: number },
): Promise<string> {
  const res = await request(t.url)
    .post('/v1/payments')
    .set('Authorization', `Bearer ${t.token(principal)}`)
    .set('Idempotency-Key', `pay-${randomUUID()}`)
    .send({ purpose: 'order', referenceId: order.id, amount: order.total, currency: 'SAR' });
  if (res.status !== 202) throw new Error(`payment answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** `Order` as API.md defines it. */
export interface OrderBody {
  id: string;
  customerId: string;
  lines: Array<{ sku: string; quantity: number }>;
  total: number;
  currency: string;
  status: string;
  paymentStatus: string;
  allocations: Array<{ locationId: string; sku: string; quantity: number }>;
  routing: { cost: number; solverMs: number; solver: string } | null;
  rejectionReason: string | null;
  createdAt: string;
  shippedAt: string | null;
}

/** Polls order `id` until its status is `status`; returns it. */
export async function orderInStatus(t: TestApp, id: string, status: string, timeoutMs = 30_000): Promise<OrderBody> {
  return eventually(
    async () => {
      const res = await getOrder(t, id);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
      return res.body as OrderBody;
    },
    { timeoutMs },
  );
}

export interface Bucket {
  location_id: string;
  on_hand: number;
  reserved: number;
}

/** A SKU's buckets by location, as `GET /v1/inventory/skus/{sku}` shows them (none for an unknown SKU). */
export async function buckets(t: TestApp, sku: string): Promise<Bucket[]> {
  const stock = await effects(t).stock(sku);
  return (stock?.locations ?? []).map((level) => ({
    location_id: level.locationId,
    on_hand: level.onHand,
    reserved: level.reserved,
  }));
}

/**
 * The same buckets read in SQL, for a watcher that samples them every few milliseconds while
 * hundreds of orders race: faster than the route's per-principal rate limit lets a reader ask, and
 * without adding HTTP load to the race it watches.
 */
export function sampledBuckets(db: DataSource, sku: string): Promise<Bucket[]> {
  return db.query(`SELECT location_id, on_hand, reserved FROM fulfilment_stock WHERE sku = $1 ORDER BY location_id`, [
    sku,
  ]);
}

/** How many committed events of `type` name one of `orderIds`, relayed (outbox_event) or not yet (outbox_message). */
export async function countOrderEvents(db: DataSource, type: string, orderIds: string[]): Promise<number> {
  const [{ n }]: Array<{ n: number }> = await db.query(
    `SELECT count(*)::int AS n
     FROM (SELECT type, payload FROM outbox_event UNION ALL SELECT type, payload FROM outbox_message) e
     WHERE type = $1 AND payload->>'orderId' = ANY($2::text[])`,
    [type, orderIds],
  );
  return n;
}

/** Events of `type` about order `orderId`, relayed or not. */
export async function orderEvents(db: DataSource, type: string, orderId: string): Promise<Envelope[]> {
  const rows: Array<Omit<ClaimedRow, 'subscriber'>> = await db.query(
    `SELECT * FROM (
       SELECT id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id,
              causation_id, payload FROM outbox_event
       UNION ALL
       SELECT id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id,
              causation_id, payload FROM outbox_message) e
     WHERE type = $1 AND (payload->>'orderId' = $2 OR payload->>'referenceId' = $2)
     ORDER BY id`,
    [type, orderId],
  );
  return rows.map(toEnvelope);
}

export async function duplicatesSkipped(subscriber: string): Promise<number> {
  const metric = await register.getSingleMetric('outbox_duplicates_skipped_total')?.get();
  return metric?.values.find((v) => v.labels.subscriber === subscriber)?.value ?? 0;
}

/**
 * Delivers `envelope` to `subscriber` again, `copies` times, as a stalled job or a sweeper re-drive
 * would (new job ids, same event id), and waits until the inbox has skipped every copy.
 */
export async function redeliver(
  t: TestApp,
  lane: Lane,
  subscriber: string,
  envelope: Envelope,
  copies: number,
): Promise<void> {
  const before = await duplicatesSkipped(subscriber);
  await t.app
    .get(LaneQueues)
    .queue(lane)
    .addBulk(
      Array.from({ length: copies }, (_, i) => ({
        name: subscriber,
        data: { subscriber, envelope } satisfies DeliveryJobData,
        opts: { jobId: `${envelope.id}-${subscriber}-again-${randomUUID()}-${i}` },
      })),
    );
  await eventually(async () => expect(await duplicatesSkipped(subscriber)).toBe(before + copies));
}

/**
 * Delivers `envelope` to a retired subscriber as the relay did before the release that retired it:
 * its ledger row and its job (a job without a ledger row would be a forged one). Waits until it is
 * handled.
 */
export async function deliverAsBeforeRetirement(
  t: TestApp,
  db: DataSource,
  lane: Lane,
  subscriber: string,
  envelope: Envelope,
): Promise<void> {
  const jobId = deliveryJobId(envelope.id, subscriber);
  await db.query(
    `INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id, enqueued_at)
     VALUES ($1, $2, $3, 'enqueued', $4, now())`,
    [envelope.id, subscriber, lane, jobId],
  );
  await t.app
    .get(LaneQueues)
    .queue(lane)
    .add(subscriber, { subscriber, envelope } satisfies DeliveryJobData, { jobId });
  await eventually(async () => {
    const [row] = await db.query(`SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`, [
      envelope.id,
      subscriber,
    ]);
    expect(row).toEqual({ state: 'handled' });
  });
}

/** Pauses (and later resumes) one lane's queue, so its events wait while others flow. */
export function laneQueue(t: TestApp, lane: Lane) {
  return t.app.get(LaneQueues).queue(lane);
}
