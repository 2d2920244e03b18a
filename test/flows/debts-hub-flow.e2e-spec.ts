import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { api, reference } from '../support/api-client.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import type { TestApp } from '../support/test-app.js';

interface Payment {
  id: string;
  status: 'pending' | 'confirmed' | 'failed' | 'refunded';
}

/** A frontend's view of the flow: register, apply, pay (retrying declined payments with a new key). */
function frontend(t: TestApp) {
  const client = api(t);
  const citizenAuth = (id: string) => client.as(id, ['citizen']);

  async function payUntilConfirmed(citizenId: string, debtId: string, amount: number): Promise<Payment[]> {
    const attempts: Payment[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const accepted = await request(t.url)
        .post('/v1/payments')
        .set('Authorization', citizenAuth(citizenId))
        .set('Idempotency-Key', randomUUID())
        .send({ purpose: 'debt', referenceId: debtId, amount, currency: 'SAR' });
      expect(accepted.status).toBe(202);
      const settled = await eventually(
        async () => {
          const res = await request(t.url)
            .get(`/v1/payments/${accepted.body.id}`)
            .set('Authorization', citizenAuth(citizenId));
          expect(res.body.status).not.toBe('pending');
          return res.body as Payment;
        },
        { timeoutMs: 30_000 },
      );
      attempts.push(settled);
      if (settled.status === 'confirmed') return attempts;
    }
    throw new Error(`debt ${debtId} could not be paid in 20 attempts`);
  }

  async function citizenJourney(citizenId: string) {
    const fine = await client.registerDebt({
      citizenId,
      reference: reference('FINE'),
      kind: 'fine',
      amount: 1000,
      currency: 'SAR',
    });
    const fee = await client.registerDebt({
      citizenId,
      reference: reference('FEE'),
      kind: 'fee',
      amount: 250,
      currency: 'SAR',
    });
    expect([fine.status, fee.status]).toEqual([201, 201]);
    const application = await client.apply(
      { citizenId, activity: 'grocery', premisesAddress: '5 Tahlia St' },
      citizenAuth(citizenId),
    );
    expect(application.body).toMatchObject({ status: 'blocked' });
    expect([...application.body.blockingDebtIds].sort()).toEqual([fine.body.id, fee.body.id].sort());

    const payments = [
      ...(await payUntilConfirmed(citizenId, fine.body.id, 400)),
      ...(await payUntilConfirmed(citizenId, fine.body.id, 600)),
      ...(await payUntilConfirmed(citizenId, fee.body.id, 250)),
    ];
    const issued = await eventually(
      async () => {
        const res = await client.getApplication(application.body.id, citizenAuth(citizenId));
        expect(res.body.status).toBe('issued');
        return res.body;
      },
      { timeoutMs: 30_000 },
    );
    return { issued, payments, debtIds: [fine.body.id, fee.body.id] };
  }

  return { client, citizenJourney };
}

/** Every posting balances, nothing is posted twice, and a cleared citizen's receivable is zero. */
async function expectLedgerConsistent(dataSource: DataSource, citizenIds: string[]): Promise<void> {
  const unbalanced = await dataSource.query(
    `SELECT source, kind, sum(amount)::bigint AS total FROM ledger_entry GROUP BY source, kind HAVING sum(amount) <> 0`,
  );
  expect(unbalanced).toEqual([]);
  const receivables = await dataSource.query(
    `SELECT account, sum(amount)::int AS balance FROM ledger_entry WHERE account = ANY($1) GROUP BY account`,
    [citizenIds.map((id) => `citizen:${id}:receivable`)],
  );
  expect(receivables).toHaveLength(citizenIds.length);
  for (const row of receivables) expect(row.balance).toBe(0);
}

describe('the Debts Hub flow through HTTP', () => {
  const t = useApp(() => startTestAppWithStub());

  it('blocked → paid (one debt partially first) → cleared → licence issued within seconds', async () => {
    const citizenId = `flow-${Date.now()}`;
    const started = Date.now();
    const { issued, payments, debtIds } = await frontend(t).citizenJourney(citizenId);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(issued.licenceNumber).toMatch(/^LIC-\d{8}$/);
    expect(payments.map((p) => p.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    const dataSource = t.app.get(DataSource);
    const debts = await Promise.all(debtIds.map((id: string) => effects(t).debt(id)));
    expect(debts.map((debt) => ({ status: debt?.status, outstanding: debt?.outstanding }))).toEqual([
      { status: 'settled', outstanding: 0 },
      { status: 'settled', outstanding: 0 },
    ]);
    const events = await dataSource.query(
      `SELECT type, count(*)::int AS n
       FROM (SELECT type, payload, aggregate_id FROM outbox_event UNION ALL SELECT type, payload, aggregate_id FROM outbox_message) e
       WHERE payload->>'citizenId' = $1 OR aggregate_id = ANY($2)
       GROUP BY type ORDER BY type`,
      [citizenId, debtIds],
    );
    expect(events).toEqual([
      { type: 'debts.citizen-cleared', n: 1 },
      { type: 'debts.debt-registered', n: 2 },
      { type: 'debts.debt-settled', n: 2 },
      { type: 'licences.application-blocked', n: 1 },
      { type: 'licences.licence-issued', n: 1 },
    ]);
    await expectLedgerConsistent(dataSource, [citizenId]);
  });
});

describe('the Debts Hub flow with a faulty gateway (timeouts after charge 0.5, declines 0.3)', () => {
  // The stub takes the money and never answers half the new charges; the app gives up after 1 s.
  const t = useApp(() =>
    startTestAppWithStub(
      {},
      { STUB_TIMEOUT_AFTER_CHARGE_RATE: '0.5', STUB_DECLINE_RATE: '0.3', STUB_SEED: '20261121' },
    ),
  );

  it('charges no payment twice, issues every licence whose debts are paid, and keeps the ledger balanced', async () => {
    const citizens = Array.from({ length: 5 }, (_, i) => `faulty-${Date.now()}-${i}`);
    const journeys = await Promise.all(citizens.map((id) => frontend(t).citizenJourney(id)));
    for (const journey of journeys) expect(journey.issued.status).toBe('issued');

    const dataSource = t.app.get(DataSource);
    const payments = journeys.flatMap((j) => j.payments);
    // The faults really happened: some declines, some timeouts after the charge (retried).
    expect(payments.some((p) => p.status === 'failed')).toBe(true);
    // A webhook can decide a payment (and finish its journey) while the charge call that took the
    // money still waits out GATEWAY_TIMEOUT_MS: the timed-out attempt is recorded when that ends.
    await eventually(async () => {
      const [{ retried }] = await dataSource.query(
        `SELECT count(*)::int AS retried FROM outbox_delivery
         WHERE subscriber = 'payments.charge-gateway-when-payment-requested' AND attempts > 1`,
      );
      expect(retried).toBeGreaterThan(0);
    });

    // The provider's own count: one charge request and one charge per payment, as its status says.
    for (const payment of payments) {
      const report = await t.stub.charges(payment.id);
      expect(report).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
      expect(report.charge?.status).toBe(payment.status === 'confirmed' ? 'succeeded' : 'failed');
    }
    await expectLedgerConsistent(dataSource, citizens);
  });
});
