import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Principal } from '../../src/platform/index.js';
import { placeOrder, stockedSku } from '../fulfilment/order-fixtures.js';
import { getPayment, pay, registerDebt } from '../payments/payment-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/**
 * Identity is (role, subject) (issue 12, point 11; docs/adr/0022-identity-is-role-and-subject.md):
 * a customer whose id equals a citizen's id sees nothing of the citizen's, and vice versa, and
 * their Idempotency-Keys never meet.
 */
describe('identity is (role, subject)', () => {
  const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_INTERVAL_MS: '3600000' } });
  const X = `same-id-${randomUUID().slice(0, 8)}`;
  const asCitizen: Principal = { sub: X, roles: ['citizen'] };
  const asCustomer: Principal = { sub: X, roles: ['customer'] };
  const sharedKey = `shared-key-${randomUUID()}`;
  let debt: { id: string };
  let debtPayment: { id: string };
  let application: { id: string };
  let order: { id: string; total: number };
  let orderPayment: { id: string };

  const get = (path: string, principal: Principal) =>
    request(t.url)
      .get(path)
      .set('Authorization', `Bearer ${t.token(principal)}`);

  beforeAll(async () => {
    debt = await registerDebt(t, X, 5000);
    const applied = await request(t.url)
      .post('/v1/licences/applications')
      .set('Authorization', `Bearer ${t.token(asCitizen)}`)
      .send({ citizenId: X, activity: 'bakery', premisesAddress: '1 King Fahd Road, Riyadh' });
    expect(applied.status).toBe(201);
    application = applied.body;
    const sku = await stockedSku(t, 1200, [
      { location: { id: `id-${randomUUID().slice(0, 6)}`, lat: 24.8, lon: 46.6 }, onHand: 10 },
    ]);
    const placed = await placeOrder(t, asCustomer, [{ sku, quantity: 1 }]);
    expect(placed.status).toBe(202);
    order = placed.body;
  });

  it('keeps one Idempotency-Key of citizen X and of customer X apart: two payments, no replay, no 422', async () => {
    const byCitizen = await pay(t, asCitizen, { purpose: 'debt', referenceId: debt.id, amount: 1000 }, sharedKey);
    expect(byCitizen.status).toBe(202);
    debtPayment = byCitizen.body;
    const byCustomer = await pay(
      t,
      asCustomer,
      { purpose: 'order', referenceId: order.id, amount: order.total },
      sharedKey,
    );
    expect(byCustomer.status).toBe(202);
    expect(byCustomer.headers['idempotent-replayed']).toBeUndefined();
    expect(byCustomer.body.id).not.toBe(debtPayment.id);
    expect(byCustomer.body).toMatchObject({ purpose: 'order', referenceId: order.id });
    orderPayment = byCustomer.body;
    // Each still replays its own first answer.
    const citizenAgain = await pay(t, asCitizen, { purpose: 'debt', referenceId: debt.id, amount: 1000 }, sharedKey);
    expect(citizenAgain.headers['idempotent-replayed']).toBe('true');
    expect(citizenAgain.body.id).toBe(debtPayment.id);
  });

  it("shows customer X none of citizen X's objects: 404 for the payment, 403 where the role reads nothing", async () => {
    expect((await getPayment(t, asCitizen, debtPayment.id)).status).toBe(200);
    const payment = await getPayment(t, asCustomer, debtPayment.id);
    expect(payment.status).toBe(404);
    expect(JSON.stringify(payment.body)).not.toContain(debt.id);
    // Debts and licence applications are no customer's business at all: the role is refused (API.md, "Wrong role: 403").
    for (const path of [
      `/v1/debts/${debt.id}`,
      `/v1/citizens/${X}/debts`,
      `/v1/licences/applications/${application.id}`,
      `/v1/citizens/${X}/licences/applications`,
    ]) {
      const res = await get(path, asCustomer);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.body.items).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain(debt.id);
      expect((await get(path, asCitizen)).status).toBe(200);
    }
    // Nor may customer X pay citizen X's debt.
    expect((await pay(t, asCustomer, { purpose: 'debt', referenceId: debt.id, amount: 100 })).status).toBe(403);
  });

  it("shows citizen X none of customer X's objects", async () => {
    expect((await getPayment(t, asCustomer, orderPayment.id)).status).toBe(200);
    expect((await getPayment(t, asCitizen, orderPayment.id)).status).toBe(404);
    expect((await get(`/v1/orders/${order.id}`, asCitizen)).status).toBe(403);
    expect((await get(`/v1/orders/${order.id}`, asCustomer)).status).toBe(200);
  });

  it('gives a subject holding both roles what each role owns', async () => {
    const both: Principal = { sub: X, roles: ['citizen', 'customer'] };
    expect((await getPayment(t, both, debtPayment.id)).status).toBe(200);
    expect((await getPayment(t, both, orderPayment.id)).status).toBe(200);
    expect((await get(`/v1/orders/${order.id}`, both)).status).toBe(200);
    expect((await get(`/v1/debts/${debt.id}`, both)).status).toBe(200);
  });
});
