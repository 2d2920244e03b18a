import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PaymentConfirmedV1 } from '../../src/modules/payments/index.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { api, reference } from '../support/api-client.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { scenario, useTestApp } from '../support/scenario.js';

describe('debts', () => {
  const t = useTestApp();
  let client: ReturnType<typeof api>;
  let dataSource: DataSource;

  beforeAll(async () => {
    client = api(t);
    dataSource = t.app.get(DataSource);
  });

  const citizen = (id: string) => client.as(id, ['citizen']);

  /** A payment-confirmed event as payments would publish it (payments' own flow is tested elsewhere). */
  async function confirmPayment(debtId: string, amount: number, paymentId = uuidv7()) {
    const [envelope] = await dataSource.transaction((tx) =>
      t.app.get(OutboxWriter).append(tx, {
        contract: PaymentConfirmedV1,
        aggregateId: paymentId,
        payload: {
          paymentId,
          purpose: 'debt',
          referenceId: debtId,
          amount,
          currency: 'SAR',
          gatewayRef: `gw-${paymentId}`,
        },
      }),
    );
    return envelope;
  }

  it('registers a debt once per reference: 201, then 200 with the same debt, 409 with other terms', async () => {
    const body = {
      citizenId: 'cit-reg',
      reference: reference(),
      kind: 'fine',
      amount: 15000,
      currency: 'SAR',
      dueDate: '2027-01-31',
    };
    const created = await client.registerDebt(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      citizenId: 'cit-reg',
      kind: 'fine',
      amount: 15000,
      outstanding: 15000,
      currency: 'SAR',
      status: 'outstanding',
      dueDate: '2027-01-31',
      settledAt: null,
    });
    const again = await client.registerDebt(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    const conflict = await client.registerDebt({ ...body, amount: 16000 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.type).toBe('/problems/debt-reference-conflict');
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM debts_debt WHERE reference = $1`, [
      body.reference,
    ]);
    expect(n).toBe(1);
    const events = await dataSource.query(
      `SELECT type FROM outbox_event WHERE aggregate_id = $1 UNION ALL SELECT type FROM outbox_message WHERE aggregate_id = $1`,
      [created.body.id],
    );
    expect(events).toEqual([{ type: 'debts.debt-registered' }]);
  });

  it('validates registrations strictly', async () => {
    const valid = { citizenId: 'cit-val', reference: reference(), kind: 'fee', amount: 100, currency: 'SAR' };
    for (const bad of [
      { ...valid, amount: 0 },
      { ...valid, amount: 10.5 },
      { ...valid, currency: 'USD' },
      { ...valid, kind: 'bribe' },
      { ...valid, citizenId: 'has space' },
      { ...valid, status: 'settled' },
      { ...valid, outstanding: 1 },
    ]) {
      const res = await client.registerDebt(bad);
      expect(res.status).toBe(400);
    }
    expect((await client.registerDebt(valid, citizen('cit-val'))).status).toBe(403);
  });

  it('shows a debt to its citizen, services and admins only (404 for other citizens)', async () => {
    const { body: debt } = await client.registerDebt({
      citizenId: 'cit-own',
      reference: reference(),
      kind: 'tax',
      amount: 700,
      currency: 'SAR',
    });
    expect((await client.getDebt(debt.id, citizen('cit-own'))).status).toBe(200);
    expect((await client.getDebt(debt.id, client.admin)).status).toBe(200);
    expect((await client.getDebt(debt.id, client.service)).status).toBe(200);
    const stranger = await client.getDebt(debt.id, citizen('cit-other'));
    expect(stranger.status).toBe(404);
    expect((await client.listDebts('cit-own', citizen('cit-other'))).status).toBe(404);
    expect((await client.getDebt(uuidv7(), client.admin)).status).toBe(404);
  });

  it("lists a citizen's debts page by page with the total outstanding", async () => {
    for (let i = 0; i < 5; i++) {
      await client.registerDebt({
        citizenId: 'cit-list',
        reference: reference(),
        kind: 'fee',
        amount: 100 * (i + 1),
        currency: 'SAR',
      });
    }
    // The total comes from the citizen-balances projection, one event hop behind the registrations.
    const first = await eventually(async () => {
      const page = await client.listDebts('cit-list', citizen('cit-list'), '?limit=2');
      expect(page.body.totalOutstanding).toBe(1500);
      return page;
    });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.currency).toBe('SAR');
    const ids = first.body.items.map((d: { id: string }) => d.id);
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await client.listDebts('cit-list', citizen('cit-list'), `?limit=2&cursor=${cursor}`);
      ids.push(...page.body.items.map((d: { id: string }) => d.id));
      cursor = page.body.nextCursor;
    }
    expect(new Set(ids).size).toBe(5);
    expect((await client.listDebts('cit-list', citizen('cit-list'), '?limit=500')).status).toBe(400);
  });

  it('applies partial payments, settles at zero and clears the citizen once, however often the event is delivered', async () => {
    const citizenId = `cit-settle-${Date.now()}`;
    const { body: a } = await client.registerDebt({
      citizenId,
      reference: reference(),
      kind: 'fine',
      amount: 1000,
      currency: 'SAR',
    });
    const { body: b } = await client.registerDebt({
      citizenId,
      reference: reference(),
      kind: 'fee',
      amount: 500,
      currency: 'SAR',
    });

    await confirmPayment(a.id, 400);
    await eventually(async () => expect((await client.getDebt(a.id, client.admin)).body.outstanding).toBe(600));
    let settleA!: Awaited<ReturnType<typeof confirmPayment>>;
    let settleB!: typeof settleA;
    const cleared = await scenario(t)
      .when(async () => {
        settleA = await confirmPayment(a.id, 600);
        settleB = await confirmPayment(b.id, 500);
      })
      .expectEvent('debts.citizen-cleared', { citizenId }, { relayed: true });
    expect(cleared.aggregateId).toBe(citizenId);
    expect((await client.getDebt(a.id, client.admin)).body).toMatchObject({ outstanding: 0, status: 'settled' });
    expect((await client.getDebt(b.id, client.admin)).body).toMatchObject({ outstanding: 0, status: 'settled' });

    // Deliver the settling events twice more: nothing changes.
    const { LaneQueues } = await import('../../src/outbox/testing.js');
    const { debtsManifest } = await import('../../src/modules/debts/index.js');
    const [settleDebtSubscription] = debtsManifest.subscriptions;
    for (const copy of [1, 2]) {
      await t.app.get(LaneQueues).enqueue(
        [settleA, settleB].map((envelope) => ({
          subscription: settleDebtSubscription,
          envelope,
          jobId: `${envelope.id}-again-${copy}`,
        })),
      );
    }
    await eventually(async () => {
      const [{ n }] = await dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_inbox WHERE event_id = ANY($1) AND subscriber = $2`,
        [[settleA.id, settleB.id], settleDebtSubscription.name],
      );
      expect(n).toBe(2);
      const jobs = await t.app.get(LaneQueues).queue('critical').getJobCounts('waiting', 'active', 'delayed');
      expect(jobs).toEqual({ waiting: 0, active: 0, delayed: 0 });
    });
    const counts = await dataSource.query(
      `SELECT type, count(*)::int AS n FROM outbox_event WHERE type IN ('debts.debt-settled', 'debts.citizen-cleared')
         AND (payload->>'citizenId') = $1 GROUP BY type ORDER BY type`,
      [citizenId],
    );
    expect(counts).toEqual([
      { type: 'debts.citizen-cleared', n: 1 },
      { type: 'debts.debt-settled', n: 2 },
    ]);
    expect(await effects(t).ledgerBalance(`citizen:${citizenId}:receivable`)).toBe(0);
  });
});
