import { randomUUID } from 'node:crypto';
import { Accounts, EntryKinds, LedgerApi } from '../../src/modules/ledger/index.js';
import { citizen, pay, settledPayment } from '../payments/payment-fixtures.js';
import { newCitizenId, reconciliationClient, registerDebt } from '../support/reconciliation.js';
import { useTestApp } from '../support/scenario.js';

const RECONCILER = 'payments-ledger-matches-payments';

describe('reconciler: the ledger matches payments', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000' } });
  let rc: ReturnType<typeof reconciliationClient>;

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.afterStartRuns(RECONCILER);
  });

  const confirmedPayment = async (amount: number): Promise<string> => {
    const payer = citizen(newCitizenId('pay-rec'));
    const debt = await registerDebt(t, payer.sub, 5000);
    const res = await pay(t, payer, { referenceId: debt.id, amount });
    expect(res.status).toBe(202);
    expect((await settledPayment(t, res.body.id)).status).toBe('confirmed');
    return res.body.id;
  };

  it('finds nothing while every confirmed payment has its posting and gateway:cash agrees', async () => {
    await confirmedPayment(1200);
    expect(await rc.run(RECONCILER)).toMatchObject({ status: 'succeeded', findings: 0, exceptions: 0 });
  });

  it('opens exceptions for a refund without its reversal, a posting without a payment, and the cash they skew', async () => {
    const good = await confirmedPayment(700);
    // A payment marked refunded behind the app's back: no reversal was posted for it.
    const unreversed = await confirmedPayment(300);
    await rc.db.query(
      `UPDATE payments_payment SET status = 'refunded', refunded_at = now(), refund_reason = 'test' WHERE id = $1`,
      [unreversed],
    );
    // A payment-received posting that no payment explains.
    const phantom = randomUUID();
    await rc.db.transaction((tx) =>
      t.app.get(LedgerApi).post(tx, {
        source: `payment-${phantom}`,
        kind: EntryKinds.paymentReceived,
        currency: 'SAR',
        legs: [
          { account: Accounts.gatewayCash(), amount: 50 },
          { account: Accounts.paymentsClearing(), amount: -50 },
        ],
      }),
    );
    // (Debts applies the payments on its own time: count only the payments' postings.)
    const paymentEntries = () =>
      rc.db.query(`SELECT count(*)::int AS n FROM ledger_entry WHERE kind IN ('payment-received', 'payment-refunded')`);
    const ledgerBefore = await paymentEntries();

    const run = await rc.run(RECONCILER);

    expect(run).toMatchObject({ status: 'succeeded', findings: 3, healed: 0, exceptions: 3 });
    expect(await rc.findings(RECONCILER, `payment:${unreversed}`)).toMatchObject([
      {
        status: 'open',
        details: { paymentId: unreversed, status: 'refunded', problems: ['no payment-refunded reversal'] },
      },
    ]);
    expect(await rc.findings(RECONCILER, `payment:${phantom}`)).toMatchObject([
      { status: 'open', details: { problems: ['a payment-received posting of 50'] } },
    ]);
    // Cash holds the 300 that was not reversed and the 50 nobody paid.
    expect(await rc.findings(RECONCILER, 'account:gateway:cash:SAR')).toMatchObject([
      { status: 'open', details: { difference: 350 } },
    ]);
    expect(await rc.findings(RECONCILER, `payment:${good}`)).toEqual([]);
    // An exception never writes to the ledger.
    expect(await paymentEntries()).toEqual(ledgerBefore);
  });
});
