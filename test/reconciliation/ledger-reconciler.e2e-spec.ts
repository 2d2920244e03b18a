import { randomUUID } from 'node:crypto';
import { Accounts, LedgerApi } from '../../src/modules/ledger/index.js';
import { newCitizenId, reconciliationClient, registerDebt } from '../support/reconciliation.js';
import { useTestApp } from '../support/scenario.js';

const RECONCILER = 'debts-ledger-matches-debts';

describe('reconciler: the ledger receivable of each citizen matches their outstanding debts', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000' } });
  let rc: ReturnType<typeof reconciliationClient>;

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.afterStartRuns(RECONCILER);
  });

  const ledgerSnapshot = () =>
    rc.db.query(`SELECT id, source, kind, account, amount, currency, created_at FROM ledger_entry ORDER BY id`);

  it('opens an exception for a mismatch, never heals it and never touches the ledger', async () => {
    const consistent = newCitizenId('ledger-ok');
    const skewed = newCitizenId('ledger-skewed');
    await registerDebt(t, consistent, 1200); // debt and receivable posting commit together: they agree
    await registerDebt(t, skewed, 300);
    // A balanced posting that no debt explains: the receivable now says 300 + 450.
    await rc.db.transaction((tx) =>
      t.app.get(LedgerApi).post(tx, {
        source: `test-${randomUUID()}`,
        kind: 'test-unexplained',
        currency: 'SAR',
        legs: [
          { account: Accounts.citizenReceivable(skewed), amount: 450 },
          { account: Accounts.revenue('fine'), amount: -450 },
        ],
      }),
    );
    const before = await ledgerSnapshot();

    const first = await rc.run(RECONCILER);

    expect(first).toMatchObject({ status: 'succeeded', healed: 0 });
    const [exception] = await rc.findings(RECONCILER, `citizen:${skewed}:SAR`);
    expect(exception).toMatchObject({
      status: 'open',
      healed_at: null,
      first_run_id: first.id,
      details: {
        citizenId: skewed,
        currency: 'SAR',
        account: `citizen:${skewed}:receivable`,
        ledgerBalance: 750,
        debtsOutstanding: 300,
        difference: 450,
      },
    });
    expect(await rc.findings(RECONCILER, `citizen:${consistent}:SAR`)).toEqual([]);

    const second = await rc.run(RECONCILER);

    expect(second).toMatchObject({ status: 'succeeded', healed: 0 });
    const findings = await rc.findings(RECONCILER, `citizen:${skewed}:SAR`);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: exception.id, status: 'open', last_seen_run_id: second.id });
    // Not one ledger row added, changed or removed (the table also refuses UPDATE and DELETE).
    expect(await ledgerSnapshot()).toEqual(before);
  });

  it('compares exactly past 2^53 minor units, where numbers would round the difference away', async () => {
    const citizenId = newCitizenId('ledger-huge');
    await registerDebt(t, citizenId, 2 ** 52);
    await registerDebt(t, citizenId, 2 ** 52);
    // One minor unit the debts do not explain: 2^53 + 1 against 2^53, equal once rounded to numbers.
    await rc.db.transaction((tx) =>
      t.app.get(LedgerApi).post(tx, {
        source: `test-${randomUUID()}`,
        kind: 'test-unexplained',
        currency: 'SAR',
        legs: [
          { account: Accounts.citizenReceivable(citizenId), amount: 1 },
          { account: Accounts.revenue('fine'), amount: -1 },
        ],
      }),
    );

    const run = await rc.run(RECONCILER);

    expect(run.status).toBe('succeeded');
    const [exception] = await rc.findings(RECONCILER, `citizen:${citizenId}:SAR`);
    expect(exception).toMatchObject({
      status: 'open',
      details: { ledgerBalance: '9007199254740993', debtsOutstanding: '9007199254740992', difference: 1 },
    });
  });

  it('finds a citizen whose debt changed without the matching ledger posting', async () => {
    const citizenId = newCitizenId('ledger-debt-edit');
    const debt = await registerDebt(t, citizenId, 900);
    await rc.db.query(`UPDATE debts_debt SET outstanding = 400 WHERE id = $1`, [debt.id]);

    const run = await rc.run(RECONCILER);

    expect(run.status).toBe('succeeded');
    const [exception] = await rc.findings(RECONCILER, `citizen:${citizenId}:SAR`);
    expect(exception).toMatchObject({
      status: 'open',
      details: { ledgerBalance: 900, debtsOutstanding: 400, difference: 500 },
    });
  });
});
