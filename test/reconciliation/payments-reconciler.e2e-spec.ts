import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { NO_CHARGE_AT_GATEWAY } from '../../src/modules/payments/index.js';
import { eventually } from '../support/eventually.js';
import { newCitizenId, reconciliationClient, registerDebt, type StoredRun } from '../support/reconciliation.js';
import { effects } from '../support/effects.js';
import { useTestApp } from '../support/scenario.js';

const RECONCILER = 'payments-resolve-stale-pending';
const TIMEOUT_MS = 3000;

describe('reconciler: payments pending beyond the timeout are resolved from the gateway', () => {
  // Every charge attempt of the worker fails with a 5xx before charging: payments stay pending.
  const t = useTestApp({
    env: {
      RECONCILIATION_INTERVAL_MS: '3600000',
      PAYMENT_PENDING_TIMEOUT_MS: String(TIMEOUT_MS),
      PAYMENT_NO_CHARGE_TIMEOUT_MS: String(TIMEOUT_MS),
      GATEWAY_SIM_ERROR_RATE: '1',
    },
  });
  let rc: ReturnType<typeof reconciliationClient>;

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.afterStartRuns(RECONCILER);
  });

  async function pendingPayment(amount: number): Promise<{ paymentId: string; debtId: string }> {
    const citizenId = newCitizenId('pay');
    const debt = await registerDebt(t, citizenId, amount);
    const res = await request(t.url)
      .post('/v1/payments')
      .set('Authorization', `Bearer ${t.token({ sub: citizenId, roles: ['citizen'] })}`)
      .set('Idempotency-Key', `key-${randomUUID()}`)
      .send({ purpose: 'debt', referenceId: debt.id, amount, currency: 'SAR' });
    if (res.status !== 202) throw new Error(`payment answered ${res.status}: ${JSON.stringify(res.body)}`);
    return { paymentId: res.body.id, debtId: debt.id };
  }

  /** The payment as the payments facade shows it; `stale` once it is older than the pending timeout. */
  const payment = async (id: string) => {
    const found = await effects(t).payment(id);
    if (!found) throw new Error(`payment ${id} not found`);
    return { ...found, stale: Date.now() - Date.parse(found.createdAt) > TIMEOUT_MS };
  };

  it('leaves young ones alone, then confirms a charged one and fails an uncharged one; reruns change nothing', async () => {
    const charged = await pendingPayment(2000);
    const uncharged = await pendingPayment(1500);
    // The charge the gateway took while every answer to the worker got lost.
    await rc.db.query(
      `INSERT INTO payments_gateway_sim_charge (idempotency_key, payment_id, amount, currency, status, gateway_ref)
       VALUES ($1, $2, 2000, 'SAR', 'succeeded', $3)`,
      [`pay-${charged.paymentId}`, charged.paymentId, `sim_lost-${charged.paymentId}`],
    );

    // Younger than the timeout: left to the worker.
    const early = await rc.run(RECONCILER);
    expect(early).toMatchObject({ status: 'succeeded', findings: 0 });
    expect((await payment(charged.paymentId)).status).toBe('pending');
    expect(await rc.findings(RECONCILER, `payment:${charged.paymentId}`)).toEqual([]);

    await eventually(
      async () => {
        expect((await payment(charged.paymentId)).stale).toBe(true);
        expect((await payment(uncharged.paymentId)).stale).toBe(true);
      },
      { timeoutMs: TIMEOUT_MS + 5000 },
    );
    // A heal meeting the worker mid-attempt ('in-progress') stays open and is retried by the next run.
    const runs: StoredRun[] = [];
    await eventually(
      async () => {
        runs.push(await rc.run(RECONCILER));
        expect((await payment(charged.paymentId)).status).toBe('confirmed');
        expect((await payment(uncharged.paymentId)).status).toBe('failed');
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);

    expect(await payment(charged.paymentId)).toMatchObject({ gatewayRef: `sim_lost-${charged.paymentId}` });
    expect(await payment(uncharged.paymentId)).toMatchObject({ failureReason: NO_CHARGE_AT_GATEWAY });

    const [confirmedFinding] = await rc.findings(RECONCILER, `payment:${charged.paymentId}`);
    expect(confirmedFinding.status).toBe('healed');
    const healingRun = runs.find((r) => r.id === confirmedFinding.last_seen_run_id)!;
    const confirmed = await rc.events('payments.payment-confirmed', 'paymentId', charged.paymentId);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0].correlation_id).toBe(healingRun.correlation_id);
    expect(await rc.events('payments.payment-failed', 'paymentId', uncharged.paymentId)).toHaveLength(1);
    // The confirmation flows on: debts applies it.
    await eventually(async () => expect(await effects(t).debt(charged.debtId)).toMatchObject({ outstanding: 0 }));

    const rerun = await rc.run(RECONCILER);
    expect(rerun.status).toBe('succeeded');
    expect(await rc.findings(RECONCILER, `payment:${charged.paymentId}`)).toHaveLength(1);
    expect(await rc.findings(RECONCILER, `payment:${uncharged.paymentId}`)).toHaveLength(1);
    expect(await rc.events('payments.payment-confirmed', 'paymentId', charged.paymentId)).toHaveLength(1);
    expect(await rc.events('payments.payment-failed', 'paymentId', uncharged.paymentId)).toHaveLength(1);
  }, 60_000);
});
