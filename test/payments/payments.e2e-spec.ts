import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import {
  admin,
  citizen,
  getDebt,
  getPayment,
  pay,
  paymentPostings,
  PROBLEM_JSON,
  registerDebt,
  service,
  settledPayment,
  providerCharges,
  eventsOf,
} from './payment-fixtures.js';

describe('payments: request, charge, confirm (POST /v1/payments, GET /v1/payments/{id})', () => {
  const t = useApp(() =>
    startTestAppWithStub({ env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '100', RATE_LIMIT_PER_MINUTE: '100000' } }),
  );
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
  });

  it('accepts a citizen paying their debt with 202 pending, then confirms it, posts the ledger and lowers the debt', async () => {
    const alice = citizen();
    const debt = await registerDebt(t, alice.sub, 10_000);
    const res = await pay(t, alice, { referenceId: debt.id, amount: 10_000 });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      purpose: 'debt',
      referenceId: debt.id,
      amount: 10_000,
      currency: 'SAR',
      status: 'pending',
      failureReason: null,
      gatewayRef: null,
      createdAt: expect.any(String),
      confirmedAt: null,
    });

    const confirmed = await settledPayment(t, res.body.id);
    expect(confirmed).toMatchObject({ status: 'confirmed', gatewayRef: expect.stringMatching(/^ch_/) });
    // The 202 is built from the insert, not read back: what it says is what a read says.
    const { status: _s, gatewayRef: _g, confirmedAt: _c, ...accepted } = res.body;
    expect(confirmed).toMatchObject(accepted);
    expect(Date.parse(confirmed.confirmedAt as string)).not.toBeNaN();

    await eventually(async () => {
      const after = await getDebt(t, debt.id);
      expect(after.body).toMatchObject({ outstanding: 0, status: 'settled' });
    });
    expect(await providerCharges(t, res.body.id)).toEqual([
      { status: 'succeeded', amount: '10000', gateway_ref: confirmed.gatewayRef },
    ]);
    expect(await paymentPostings(dataSource, res.body.id)).toEqual([
      { kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] },
    ]);
    expect(await eventsOf(dataSource, 'payments.payment-confirmed', res.body.id)).toBe(1);
    // Fulfilment's payment listeners filter on purpose = order: a debt payment gives them no
    // delivery, job or inbox row, and the requested event goes to the charging worker alone.
    const deliveries = await dataSource.query(
      `SELECT e.type, d.subscriber FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id
       WHERE e.aggregate_id = $1 ORDER BY e.type, d.subscriber`,
      [res.body.id],
    );
    expect(deliveries).toEqual([
      { type: 'payments.payment-confirmed', subscriber: 'debts.settle-debt-when-payment-confirmed' },
      { type: 'payments.payment-requested', subscriber: 'payments.charge-gateway-when-payment-requested' },
    ]);
    const [{ inbox }] = await dataSource.query(
      `SELECT count(*)::int AS inbox FROM outbox_inbox i JOIN outbox_event e ON e.id = i.event_id
       WHERE e.aggregate_id = $1 AND i.subscriber LIKE 'fulfilment.%'`,
      [res.body.id],
    );
    expect(inbox).toBe(0);
  });

  it('replays the 202 for the same Idempotency-Key and body without a second payment', async () => {
    const alice = citizen();
    const debt = await registerDebt(t, alice.sub, 500);
    const key = `key-${randomUUID()}`;
    const first = await pay(t, alice, { referenceId: debt.id, amount: 200 }, key);
    expect(first.status).toBe(202);
    const again = await pay(t, alice, { referenceId: debt.id, amount: 200 }, key);
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM payments_payment WHERE reference_id = $1`, [
      debt.id,
    ]);
    expect(n).toBe(1);
    expect(await eventsOf(dataSource, 'payments.payment-requested', first.body.id)).toBe(1);
  });

  it('takes partial payments: the outstanding amount goes down by each, and the debt settles at zero', async () => {
    const bob = citizen();
    const debt = await registerDebt(t, bob.sub, 1_000);
    const first = await pay(t, bob, { referenceId: debt.id, amount: 300 });
    expect(first.status).toBe(202);
    await settledPayment(t, first.body.id, ['confirmed']);
    await eventually(async () => {
      expect((await getDebt(t, debt.id)).body).toMatchObject({ outstanding: 700, status: 'outstanding' });
    });

    const rest = await pay(t, bob, { referenceId: debt.id, amount: 700 });
    expect(rest.status).toBe(202);
    await settledPayment(t, rest.body.id, ['confirmed']);
    await eventually(async () => {
      expect((await getDebt(t, debt.id)).body).toMatchObject({ outstanding: 0, status: 'settled' });
    });
  });

  it('answers an amount above the outstanding amount with 422 and records nothing', async () => {
    const carol = citizen();
    const debt = await registerDebt(t, carol.sub, 1_000);
    const res = await pay(t, carol, { referenceId: debt.id, amount: 1_001 });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toMatchObject({ type: '/problems/amount-exceeds-outstanding', status: 422 });
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM payments_payment WHERE reference_id = $1`, [
      debt.id,
    ]);
    expect(n).toBe(0);
  });

  it('counts pending payments against the outstanding amount, so two payments cannot overpay a debt', async () => {
    const dan = citizen();
    const debt = await registerDebt(t, dan.sub, 1_000);
    // Two concurrent full payments: the reference lock serialises them, the second sees the first pending.
    const [a, b] = await Promise.all([
      pay(t, dan, { referenceId: debt.id, amount: 1_000 }),
      pay(t, dan, { referenceId: debt.id, amount: 1_000 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 422]);
  });

  it("answers another citizen's debt and an unknown debt with the same 404", async () => {
    const owner = citizen();
    const debt = await registerDebt(t, owner.sub, 1_000);
    const other = await pay(t, citizen(), { referenceId: debt.id, amount: 100 });
    const unknown = await pay(t, owner, { referenceId: randomUUID(), amount: 100 });
    for (const res of [other, unknown]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.type).toBe('/problems/not-found');
    }
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM payments_payment WHERE reference_id = $1`, [
      debt.id,
    ]);
    expect(n).toBe(0);
  });

  it('answers a missing Idempotency-Key with 400 idempotency-key-required', async () => {
    const erin = citizen();
    const debt = await registerDebt(t, erin.sub, 1_000);
    const res = await pay(t, erin, { referenceId: debt.id, amount: 100 }, null);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.type).toBe('/problems/idempotency-key-required');
  });

  it('lets citizens pay only debts and customers only orders (403), refuses other roles (403), has no order payables yet (404)', async () => {
    const frank = citizen();
    const debt = await registerDebt(t, frank.sub, 1_000);
    const customer = { sub: frank.sub, roles: ['customer' as const] };
    expect((await pay(t, customer, { referenceId: debt.id, amount: 100 })).status).toBe(403);
    expect((await pay(t, frank, { purpose: 'order', referenceId: randomUUID(), amount: 100 })).status).toBe(403);
    expect((await pay(t, service, { referenceId: debt.id, amount: 100 })).status).toBe(403);
    const order = await pay(t, customer, { purpose: 'order', referenceId: randomUUID(), amount: 100 });
    expect(order.status).toBe(404);
    // An admin may pay any debt; the payment belongs to the debt's citizen.
    const byAdmin = await pay(t, admin, { referenceId: debt.id, amount: 100 });
    expect(byAdmin.status).toBe(202);
    expect((await getPayment(t, frank, byAdmin.body.id)).status).toBe(200);
  });

  it('validates the body strictly: unknown or read-only fields, zero amounts, fractions, other currencies, bad ids', async () => {
    const gina = citizen();
    const debt = await registerDebt(t, gina.sub, 1_000);
    const invalid = [
      { referenceId: debt.id, amount: 100, status: 'confirmed' },
      { referenceId: debt.id, amount: 100, id: randomUUID() },
      { referenceId: debt.id, amount: 0 },
      { referenceId: debt.id, amount: -5 },
      { referenceId: debt.id, amount: 1.5 },
      { referenceId: debt.id, amount: '100' },
      { referenceId: debt.id, amount: 100, currency: 'USD' },
      { referenceId: 'not-a-uuid', amount: 100 },
      { referenceId: debt.id, amount: 100, purpose: 'licence' },
    ];
    for (const body of invalid) {
      const res = await pay(t, gina, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    }
  });

  it("answers GET of another owner's payment with 404, and shows it to its owner and to admins", async () => {
    const hana = citizen();
    const debt = await registerDebt(t, hana.sub, 1_000);
    const res = await pay(t, hana, { referenceId: debt.id, amount: 100 });
    expect(res.status).toBe(202);
    expect((await getPayment(t, hana, res.body.id)).status).toBe(200);
    expect((await getPayment(t, admin, res.body.id)).body.id).toBe(res.body.id);
    const other = await getPayment(t, citizen(), res.body.id);
    expect(other.status).toBe(404);
    expect(other.headers['content-type']).toMatch(PROBLEM_JSON);
    expect((await getPayment(t, hana, randomUUID())).status).toBe(404);
    expect((await getPayment(t, hana, 'nope')).status).toBe(400);
  });

  it('posts balanced, unique ledger entries once per confirmed payment', async () => {
    const confirmed: Array<{ id: string }> = await dataSource.query(
      `SELECT id FROM payments_payment WHERE status = 'confirmed'`,
    );
    expect(confirmed.length).toBeGreaterThan(0);
    for (const { id } of confirmed) {
      expect(await paymentPostings(dataSource, id)).toEqual([
        { kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] },
      ]);
    }
    const duplicates = await dataSource.query(
      `SELECT source, kind, account FROM ledger_entry GROUP BY source, kind, account HAVING count(*) > 1`,
    );
    expect(duplicates).toEqual([]);
    const unbalanced = await dataSource.query(
      `SELECT source, kind FROM ledger_entry GROUP BY source, kind HAVING sum(amount) <> 0`,
    );
    expect(unbalanced).toEqual([]);
  });
});
