import request from 'supertest';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import { customer, orderInStatus, payOrder, placeOrder, stockedSku } from '../fulfilment/order-fixtures.js';
import { citizen, pay, registerDebt, settledPayment } from '../payments/payment-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/** Deliveries per subscriber, of events appended after `since` (a set of event ids already there). */
async function deliveriesSince(db: DataSource, since: Set<string>): Promise<Record<string, number>> {
  const rows: Array<{ id: string; subscriber: string | null }> = await db.query(
    `SELECT e.id, d.subscriber FROM outbox_event e LEFT JOIN outbox_delivery d ON d.event_id = e.id`,
  );
  const counts: Record<string, number> = {};
  for (const { id, subscriber } of rows) {
    if (since.has(id) || subscriber === null) continue;
    counts[subscriber] = (counts[subscriber] ?? 0) + 1;
  }
  return counts;
}

/** Waits until every event is relayed and every delivery handled; returns the ids of the events. */
async function quiet(db: DataSource): Promise<Set<string>> {
  return eventually(async () => {
    const [{ unrelayed }] = await db.query(`SELECT count(*)::int AS unrelayed FROM outbox_message`);
    const [{ open }] = await db.query(`SELECT count(*)::int AS open FROM outbox_delivery WHERE state <> 'handled'`);
    expect({ unrelayed, open }).toEqual({ unrelayed: 0, open: 0 });
    const ids: Array<{ id: string }> = await db.query(`SELECT id FROM outbox_event`);
    return new Set(ids.map((r) => r.id));
  });
}

/**
 * The number of deliveries each flow makes, pinned (issue 16.4, docs/adr/0044-straight-flows.md): a
 * new hop, or an event reaching a subscriber that only discards it, changes these numbers and has to
 * be a decision made here.
 */
describe('deliveries per flow', () => {
  const t = useTestApp();
  let db: DataSource;

  beforeAll(async () => {
    db = t.app.get(DataSource);
  });

  it('a debt payment that clears the citizen and issues the blocked licence: 4 deliveries', async () => {
    const who = citizen();
    const debt = await registerDebt(t, who.sub, 500);
    const application = await request(t.url)
      .post('/v1/licences/applications')
      .set('Authorization', `Bearer ${t.token(who)}`)
      .send({ citizenId: who.sub, activity: 'bakery', premisesAddress: '1 Olaya St' });
    expect(application.body).toMatchObject({ status: 'blocked' });
    const before = await quiet(db);

    const accepted = await pay(t, who, { referenceId: debt.id, amount: 500 });
    expect(accepted.status).toBe(202);
    await settledPayment(t, accepted.body.id, ['confirmed']);
    await eventually(async () => {
      const res = await request(t.url)
        .get(`/v1/licences/applications/${application.body.id}`)
        .set('Authorization', `Bearer ${t.token(who)}`);
      expect(res.body.status).toBe('issued');
    });
    await quiet(db);

    expect(await deliveriesSince(db, before)).toEqual({
      // payment-requested: the charge is external I/O, after the 202 has committed.
      'payments.charge-gateway-when-payment-requested': 1,
      // payment-confirmed, purpose debt: fulfilment's order-only subscribers get none.
      'debts.settle-debt-when-payment-confirmed': 1,
      // entries-posted of the payment's posting: the citizen's balance projection.
      'ledger.project-citizen-balances': 1,
      // citizen-cleared.
      'licences.issue-licences-when-citizen-cleared': 1,
    });
  });

  it('an order placed, paid and shipped: 6 deliveries, none back to fulfilment for readiness', async () => {
    const buyer = customer();
    const sku = await stockedSku(t, 900, [{ location: { id: `flow-${buyer.sub}`, lat: 24.7, lon: 46.7 }, onHand: 4 }]);
    const before = await quiet(db);

    const { body: order } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
    await orderInStatus(t, order.id, 'reserved');
    await payOrder(t, buyer, order);
    await orderInStatus(t, order.id, 'shipped');
    await quiet(db);

    expect(await deliveriesSince(db, before)).toEqual({
      // order-placed: routing runs the solver, off the request path.
      'fulfilment.reserve-inventory': 1,
      // payment-requested.
      'payments.charge-gateway-when-payment-requested': 1,
      // payment-confirmed, purpose order: readiness decided with the payment (the order was reserved).
      'fulfilment.ready-when-paid': 1,
      // order-ready: shipping, where the warehouse's pick-and-ship plugs in.
      'fulfilment.ship-when-ready': 1,
      // entries-posted of the payment and of the shipment: the customer's balance projection.
      'ledger.project-customer-balances': 2,
    });
  });
});
