import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../src/modules/payments/index.js';
import type { Principal } from '../../src/platform/index.js';
import { eventually } from '../support/eventually.js';
import type { TestAppWithStub } from '../support/gateway-stub.js';
import type { TestApp } from '../support/test-app.js';

export const PROBLEM_JSON = /^application\/problem\+json/;
export const CHARGE_SUBSCRIBER = 'payments.charge-gateway-when-payment-requested';

export const citizen = (sub = `citizen-${randomUUID().slice(0, 8)}`): Principal => ({ sub, roles: ['citizen'] });
export const service: Principal = { sub: 'issuer-integration', roles: ['service'] };
export const admin: Principal = { sub: 'ops-admin', roles: ['admin'] };

/** Registers a debt of `amount` SAR for `citizenId` through the API, as an issuer would. */
export async function registerDebt(t: TestApp, citizenId: string, amount: number): Promise<{ id: string }> {
  const res = await request(t.url)
    .post('/v1/debts')
    .set('Authorization', `Bearer ${t.token(service)}`)
    .send({ citizenId, reference: `ref-${randomUUID()}`, kind: 'fine', amount, currency: 'SAR' });
  if (res.status !== 201) throw new Error(`debt registration answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A payment request body; deliberately loose, for validation tests. */
export type PayBody = Record<string, unknown>;

/** `POST /v1/payments` as `principal`; `key: null` sends no Idempotency-Key. */
export function pay(t: TestApp, principal: Principal, body: PayBody, key: string | null = `key-${randomUUID()}`) {
  let req = request(t.url)
    .post('/v1/payments')
    .set('Authorization', `Bearer ${t.token(principal)}`);
  if (key !== null) req = req.set('Idempotency-Key', key);
  return req.send({ purpose: 'debt', currency: 'SAR', ...body });
}

export function getPayment(t: TestApp, principal: Principal, id: string) {
  return request(t.url)
    .get(`/v1/payments/${id}`)
    .set('Authorization', `Bearer ${t.token(principal)}`);
}

export function getDebt(t: TestApp, id: string) {
  return request(t.url)
    .get(`/v1/debts/${id}`)
    .set('Authorization', `Bearer ${t.token(admin)}`);
}

/** Polls the payment until its status is one of `statuses`; returns it. */
export async function settledPayment(
  t: TestApp,
  id: string,
  statuses: string[] = ['confirmed', 'failed'],
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const res = await getPayment(t, admin, id);
      expect(res.status).toBe(200);
      expect(statuses).toContain(res.body.status);
      return res.body;
    },
    { timeoutMs },
  );
}

/** Posts a webhook body signed (unless told otherwise) with the app's secret. */
export function postWebhook(
  t: TestApp,
  body: object | string,
  { timestamp = Math.floor(Date.now() / 1000), signature }: { timestamp?: number; signature?: string | null } = {},
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  let req = request(t.url).post('/v1/payments/gateway-webhook').set('Content-Type', 'application/json');
  const header = signature === undefined ? signWebhook(raw, t.config.gatewayWebhookSecret, timestamp) : signature;
  if (header !== null) req = req.set(WEBHOOK_SIGNATURE_HEADER, header);
  return req.send(raw);
}

/** Events of `type` about payment `paymentId`, relayed or not yet. */
export async function eventsOf(dataSource: DataSource, type: string, paymentId: string): Promise<number> {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*) FROM outbox_event WHERE type = $1 AND aggregate_id = $2)
          + (SELECT count(*) FROM outbox_message WHERE type = $1 AND aggregate_id = $2) AS n`,
    [type, paymentId],
  );
  return Number(row.n);
}

/** The simulated gateway's charges for a payment. */
export async function simCharges(
  dataSource: DataSource,
  paymentId: string,
): Promise<Array<{ status: string; amount: string; gateway_ref: string }>> {
  return dataSource.query(`SELECT status, amount, gateway_ref FROM payments_gateway_sim_charge WHERE payment_id = $1`, [
    paymentId,
  ]);
}

/** Ledger postings caused by the payment itself, per (source, kind): entry count and sum. */
export async function paymentPostings(
  dataSource: DataSource,
  paymentId: string,
): Promise<Array<{ kind: string; entries: number; total: number; accounts: string[] }>> {
  const rows: Array<{ kind: string; entries: number; total: string; accounts: string[] }> = await dataSource.query(
    `SELECT kind, count(*)::int AS entries, sum(amount)::bigint AS total, array_agg(account ORDER BY account) AS accounts
     FROM ledger_entry WHERE source = $1 GROUP BY source, kind ORDER BY kind`,
    [`payment-${paymentId}`],
  );
  return rows.map((row) => ({ ...row, total: Number(row.total) }));
}

/** The charging worker's delivery of the payment's `payment-requested` event. */
export async function chargeDelivery(
  dataSource: DataSource,
  paymentId: string,
): Promise<{ state: string; attempts: number; last_error: string | null } | undefined> {
  const [row] = await dataSource.query(
    `SELECT d.state, d.attempts, d.last_error FROM outbox_delivery d
     JOIN outbox_event e ON e.id = d.event_id
     WHERE d.subscriber = $1 AND e.type = 'payments.payment-requested' AND e.aggregate_id = $2`,
    [CHARGE_SUBSCRIBER, paymentId],
  );
  return row;
}

/**
 * Waits until the charging worker holds payment `paymentId`'s charge lock, i.e. it has checked the
 * payment is pending and is inside (or about to enter) its gateway call.
 */
export async function chargeInFlight(dataSource: DataSource, paymentId: string): Promise<void> {
  await eventually(async () => {
    const [row] = await dataSource.query(
      `SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`payments-charge:${paymentId}`],
    );
    expect(row.n).toBe(1);
  });
}

/**
 * The charges the stub provider took for a payment (at most one per key, by the protocol), in the
 * shape of the simulator's rows: `failed` reads `declined`, amounts are strings.
 */
export async function providerCharges(
  t: TestAppWithStub,
  paymentId: string,
): Promise<Array<{ status: string; amount: string; gateway_ref: string }>> {
  const { charge } = await t.stub.charges(paymentId);
  if (!charge) return [];
  return [
    {
      status: charge.status === 'failed' ? 'declined' : charge.status,
      amount: String(charge.amount),
      gateway_ref: charge.id,
    },
  ];
}
