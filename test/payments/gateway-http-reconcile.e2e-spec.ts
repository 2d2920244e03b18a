import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import { startTestAppWithStub } from '../support/gateway-stub.js';
import { useApp } from '../support/scenario.js';
import { chargeDelivery, citizen, pay, paymentPostings, registerDebt, settledPayment } from './payment-fixtures.js';

const RECEIVED = [{ kind: 'payment-received', entries: 2, total: 0, accounts: ['gateway:cash', 'payments:clearing'] }];

/**
 * Webhooks that never come: the provider answers every charge `pending` and drops every result
 * webhook, so the stale-pending reconciler (1 s timeout, run every second) must decide each payment
 * by looking its charge up at the provider.
 */
describe('payments over HTTP: a missing webhook is made up for by the reconciler lookup (stub provider)', () => {
  const t = useApp(() =>
    startTestAppWithStub(
      {
        env: {
          RATE_LIMIT_PER_MINUTE: '100000',
          PAYMENT_PENDING_TIMEOUT_MS: '1000',
          RECONCILIATION_INTERVAL_MS: '1000',
        },
      },
      { STUB_PENDING_RATE: '1', STUB_SETTLE_DELAY_MS: '100', STUB_WEBHOOK_DROP_RATE: '1' },
    ),
  );
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
  });

  async function requestPayment(amount: number): Promise<string> {
    const payer = citizen();
    const debt = await registerDebt(t, payer.sub, amount);
    const res = await pay(t, payer, { referenceId: debt.id, amount });
    expect(res.status).toBe(202);
    return res.body.id;
  }

  it('confirms a succeeded charge and fails a declined one from the lookup, without any webhook', async () => {
    const succeeded = await requestPayment(1_500);
    await eventually(async () =>
      expect(await chargeDelivery(dataSource, succeeded)).toMatchObject({ state: 'handled' }),
    );
    await t.stub.configure({ declineRate: 1 });
    const declined = await requestPayment(1_600);
    await eventually(async () =>
      expect(await chargeDelivery(dataSource, declined)).toMatchObject({ state: 'handled' }),
    );

    expect(await settledPayment(t, succeeded)).toMatchObject({ status: 'confirmed' });
    expect(await settledPayment(t, declined)).toMatchObject({ status: 'failed', failureReason: 'card_declined' });
    for (const paymentId of [succeeded, declined]) {
      const report = await t.stub.charges(paymentId);
      expect(report).toMatchObject({ chargeRequests: 1, chargesCreated: 1 });
      // The worker's lookup before charging, then the reconciler's.
      expect(report.lookups).toBeGreaterThanOrEqual(2);
    }
    expect((await t.stub.webhooks()).filter((w) => [succeeded, declined].includes(w.paymentId))).toEqual([]);
    expect(await paymentPostings(dataSource, succeeded)).toEqual(RECEIVED);
    expect(await paymentPostings(dataSource, declined)).toEqual([]);
    const [{ healed }] = await dataSource.query(
      `SELECT count(DISTINCT subject)::int AS healed FROM reconciliation_finding
       WHERE reconciler = 'payments-resolve-stale-pending' AND subject = ANY($1::text[]) AND status = 'healed'`,
      [[`payment:${succeeded}`, `payment:${declined}`]],
    );
    expect(healed).toBe(2);
  });
});
