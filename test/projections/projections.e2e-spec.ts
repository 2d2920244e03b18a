import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Accounts, EntryKinds, LedgerApi } from '../../src/modules/ledger/index.js';
import { customer, laneQueue, orderInStatus, payOrder, placeOrder, stockedSku } from '../fulfilment/order-fixtures.js';
import { citizen, pay, registerDebt, settledPayment } from '../payments/payment-fixtures.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';
import { drift, projectionsAdmin } from './projection-fixtures.js';

describe('balance projections from the ledger', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000', OUTBOX_RELAY_POLL_INTERVAL_MS: '100' } });
  let db: DataSource;
  let admin: ReturnType<typeof projectionsAdmin>;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    admin = projectionsAdmin(t);
  });

  const totalOutstanding = async (citizenId: string): Promise<number> => {
    const res = await request(t.url)
      .get(`/v1/citizens/${citizenId}/debts?limit=1`)
      .set('Authorization', `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`);
    expect(res.status).toBe(200);
    return res.body.totalOutstanding as number;
  };
  const customerBalance = async (customerId: string) => {
    const res = await request(t.url)
      .get(`/v1/customers/${customerId}/balance`)
      .set('Authorization', `Bearer ${t.token({ sub: customerId, roles: ['customer'] })}`);
    expect(res.status).toBe(200);
    return res.body.balances as Array<Record<string, unknown>>;
  };
  /** The citizen's rows of the live `citizen-balances` projection, through the ledger facade. */
  const citizenRows = async (citizenId: string) =>
    (await effects(t).citizenBalances(citizenId)).map(({ currency, owed, paid, outstanding }) => ({
      currency,
      owed: Number(owed),
      paid: Number(paid),
      outstanding: Number(outstanding),
    }));

  it("keeps a citizen's owed, paid and outstanding current, and the debts list reads its total from there", async () => {
    const payer = citizen();
    const fine = await registerDebt(t, payer.sub, 1000);
    await registerDebt(t, payer.sub, 500);
    await eventually(async () => expect(await totalOutstanding(payer.sub)).toBe(1500));

    const res = await pay(t, payer, { referenceId: fine.id, amount: 300 });
    expect(res.status).toBe(202);
    expect((await settledPayment(t, res.body.id)).status).toBe('confirmed');

    await eventually(async () => expect(await totalOutstanding(payer.sub)).toBe(1200));
    expect(await citizenRows(payer.sub)).toEqual([{ currency: 'SAR', owed: 1500, paid: 300, outstanding: 1200 }]);
    // Behind the app's back: the list now shows what the projection says, not a sum over debts.
    await db.query(`UPDATE ledger_citizen_balance SET outstanding = 1 WHERE citizen_id = $1`, [payer.sub]);
    expect(await totalOutstanding(payer.sub)).toBe(1);
    await db.query(`UPDATE ledger_citizen_balance SET outstanding = 1200 WHERE citizen_id = $1`, [payer.sub]);
  });

  it("keeps a customer's paid, refunded and open orders' value current through payment, shipment and refund", async () => {
    const buyer = customer();
    const location = { id: `loc-${randomUUID().slice(0, 8)}`, lat: 24.7, lon: 46.7 };
    const sku = await stockedSku(t, 1000, [{ location, onHand: 3 }]);

    const { body: shipped } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
    await payOrder(t, buyer, shipped);
    await orderInStatus(t, shipped.id, 'shipped');
    await eventually(async () =>
      expect(await customerBalance(buyer.sub)).toEqual([{ currency: 'SAR', paid: 2000, refunded: 0, openOrders: 0 }]),
    );

    // Paid while reservations wait: the money is held for the customer's open order; the order
    // then cannot be reserved (1 unit left for 2) and the payment is refunded.
    const reservations = laneQueue(t, 'default');
    await reservations.pause();
    let refundedOrder: { id: string; total: number };
    try {
      ({ body: refundedOrder } = await placeOrder(t, buyer, [{ sku, quantity: 2 }]));
      await payOrder(t, buyer, refundedOrder);
      await orderInStatus(t, refundedOrder.id, 'paid');
    } finally {
      await reservations.resume();
    }
    await orderInStatus(t, refundedOrder.id, 'rejected');
    await eventually(async () =>
      expect(await customerBalance(buyer.sub)).toEqual([
        { currency: 'SAR', paid: 4000, refunded: 2000, openOrders: 0 },
      ]),
    );
    // A payment received for an order that has not shipped yet is held in the open orders' value.
    await db.transaction((tx) =>
      t.app.get(LedgerApi).post(tx, {
        source: `payment-${randomUUID()}`,
        kind: EntryKinds.paymentReceived,
        currency: 'SAR',
        legs: [
          { account: Accounts.gatewayCash(), amount: 500 },
          { account: Accounts.customerOrders(buyer.sub), amount: -500 },
        ],
      }),
    );
    await eventually(async () =>
      expect(await customerBalance(buyer.sub)).toEqual([
        { currency: 'SAR', paid: 4500, refunded: 2000, openOrders: 500 },
      ]),
    );
    expect(await drift(db)).toEqual([]);
  });

  it('rebuilds beside the live version while payments keep arriving, swaps, and every balance equals the ledger', async () => {
    // A ledger big enough for the rebuild to take a while: entries written straight into the
    // table (no events), which the live projection therefore does not know.
    await db.query(
      `INSERT INTO ledger_entry (id, source, kind, account, amount, currency)
       SELECT gen_random_uuid(), 'seed-' || n, 'test-seed', a.account, a.sign * (100 + n % 50), 'SAR'
       FROM generate_series(1, 100000) AS n,
            LATERAL (VALUES ('citizen:seed-' || (n % 3000) || ':receivable', 1), ('revenue:seed', -1)) AS a(account, sign)`,
    );
    const corrupted = citizen();
    await registerDebt(t, corrupted.sub, 700);
    await eventually(async () => expect(await totalOutstanding(corrupted.sub)).toBe(700));
    // Corrupt the live version behind the app's back: a wrong balance, a phantom, a lost row.
    await db.query(`UPDATE ledger_citizen_balance SET outstanding = 99999 WHERE citizen_id = $1`, [corrupted.sub]);
    await db.query(
      `INSERT INTO ledger_citizen_balance (version, citizen_id, currency, owed, paid, outstanding) VALUES (1, 'ghost', 'SAR', 5, 0, 5)`,
    );
    const lost = citizen();
    await registerDebt(t, lost.sub, 250);
    await eventually(async () => expect(await totalOutstanding(lost.sub)).toBe(250));
    await db.query(`DELETE FROM ledger_citizen_balance WHERE citizen_id = $1`, [lost.sub]);
    expect((await drift(db)).length).toBeGreaterThan(3000);

    // Payments keep arriving: debts registered and paid by a few citizens throughout the rebuild.
    let stop = false;
    const payments: string[] = [];
    const traffic = (async () => {
      const payers = Array.from({ length: 4 }, () => citizen());
      while (!stop) {
        await Promise.all(
          payers.map(async (payer) => {
            const debt = await registerDebt(t, payer.sub, 1000);
            const res = await pay(t, payer, { referenceId: debt.id, amount: 400 });
            expect(res.status).toBe(202);
            payments.push(res.body.id);
          }),
        );
      }
    })();

    let served: { during: number[]; progress: Array<{ done: number; total: number | null }> } = {
      during: [],
      progress: [],
    };
    let rebuildId: string;
    try {
      const accepted = await admin.requestRebuild('citizen-balances');
      expect(accepted.status).toBe(202);
      rebuildId = accepted.body.rebuildId;
      const again = await admin.requestRebuild('citizen-balances');
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ type: '/problems/rebuild-in-progress', rebuildId });

      // Until the swap, reads are served by the old version: a total read while the rebuild still
      // says `running` (the swap and `succeeded` commit together) is the corrupted one.
      served = await eventually(
        async () => {
          const total = await totalOutstanding(corrupted.sub);
          const view = await admin.show('citizen-balances');
          if (view.rebuild.status === 'running') {
            served.during.push(total);
            served.progress.push(view.rebuild.progress);
            expect(view).toMatchObject({ version: 1, status: 'rebuilding' });
            throw new Error('still rebuilding');
          }
          return served;
        },
        { timeoutMs: 120_000, intervalMs: 20 },
      );
    } finally {
      stop = true;
      await traffic;
    }
    expect(served.during.length).toBeGreaterThan(0);
    expect(new Set(served.during)).toEqual(new Set([99999]));
    expect(served.progress.some((p) => p.total !== null && p.done < p.total)).toBe(true);

    const view = await admin.show('citizen-balances');
    expect(view).toMatchObject({
      name: 'citizen-balances',
      version: 2,
      status: 'live',
      rebuild: { id: rebuildId!, version: 2, status: 'succeeded', error: null },
    });
    expect(view.rebuild.progress.done).toBeGreaterThanOrEqual(200_000);
    expect(view.rebuild.progress.done).toBe(view.rebuild.progress.total);
    expect(Date.parse(view.rebuild.finishedAt)).toBeGreaterThanOrEqual(Date.parse(view.rebuild.startedAt));
    expect(view.rebuild.durationSeconds).toBeGreaterThan(0);
    expect(payments.length).toBeGreaterThan(0);

    for (const id of payments) await settledPayment(t, id, ['confirmed', 'failed'], 60_000);
    await eventually(async () => expect(await drift(db)).toEqual([]), { timeoutMs: 60_000 });
    expect(await totalOutstanding(corrupted.sub)).toBe(700);
    expect(await totalOutstanding(lost.sub)).toBe(250);
    // The old version's rows are gone once the new one is live.
    expect(await db.query(`SELECT DISTINCT version FROM ledger_citizen_balance`)).toEqual([{ version: 2 }]);

    const listed = await admin.list();
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { name: string }) => p.name)).toEqual(['citizen-balances', 'customer-balances']);

    const metrics = await request(t.url).get('/metrics');
    expect(metrics.text).toMatch(/^projection_rebuild_duration_seconds_count\{projection="citizen-balances"\} [1-9]/m);
  }, 180_000);

  it('rebuilds from the command line with progress lines when not on a terminal', async () => {
    await db.query(`UPDATE ledger_customer_balance SET paid = paid + 1`);
    expect((await drift(db)).length).toBeGreaterThan(0);
    const before = (await admin.show('customer-balances')).version as number;

    const script = join(
      process.cwd(),
      process.env.TEST_BUILD_DIR ?? '.test-build',
      'scripts',
      'projections-rebuild.js',
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script, 'customer-balances'], {
      env: { PATH: process.env.PATH ?? '', ...t.isolation.env },
    });

    expect(stdout).toMatch(/^customer-balances: scanning \d+\/\d+ entries \(\d+%\)$/m);
    expect(stdout).toMatch(/^rebuilt customer-balances: version \d+ is live; \d+ entries in [\d.]+ s/m);
    expect((await admin.show('customer-balances')).version).toBe(before + 1);
    expect(await drift(db)).toEqual([]);
  });

  it('answers 404 for an unknown projection and refuses non-admins', async () => {
    expect((await admin.requestRebuild('nope')).status).toBe(404);
    const citizenToken = `Bearer ${t.token({ sub: 'c-1', roles: ['citizen'] })}`;
    expect((await request(t.url).get('/admin/projections').set('Authorization', citizenToken)).status).toBe(403);
  });
});
