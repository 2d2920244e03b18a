import { drift } from '../projections/projection-fixtures.js';
import { eventually } from '../support/eventually.js';
import { newCitizenId, reconciliationClient, registerDebt } from '../support/reconciliation.js';
import { startTestApp } from '../support/test-app.js';
import { useTestApp } from '../support/scenario.js';

const RECONCILER = 'ledger-projections-match-ledger';

describe('reconciler: every balance projection row equals the ledger', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000', PROJECTION_DRIFT_GRACE_MS: '0' } });
  let rc: ReturnType<typeof reconciliationClient>;

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.afterStartRuns(RECONCILER);
  });

  it('finds drift, heals it by recomputing the subjects involved from the ledger, and finds nothing on a rerun', async () => {
    const [skewed, lost, fine] = [newCitizenId('proj-skewed'), newCitizenId('proj-lost'), newCitizenId('proj-fine')];
    await registerDebt(t, skewed, 900);
    await registerDebt(t, lost, 400);
    await registerDebt(t, fine, 100);
    await eventually(async () => expect(await drift(rc.db)).toEqual([]));
    await rc.db.query(`UPDATE ledger_citizen_balance SET paid = 7, outstanding = 893 WHERE citizen_id = $1`, [skewed]);
    await rc.db.query(`DELETE FROM ledger_citizen_balance WHERE citizen_id = $1`, [lost]);
    await rc.db.query(
      `INSERT INTO ledger_citizen_balance (version, citizen_id, currency, owed, paid, outstanding) VALUES (1, 'phantom', 'SAR', 3, 0, 3)`,
    );
    expect(await drift(rc.db)).toHaveLength(3);

    const run = await rc.run(RECONCILER);

    expect(run).toMatchObject({ status: 'succeeded', findings: 3, healed: 3, exceptions: 0 });
    const [skewedFinding] = await rc.findings(RECONCILER, `citizen-balances:${skewed}:SAR`);
    expect(skewedFinding).toMatchObject({
      status: 'healed',
      details: {
        projection: 'citizen-balances',
        subject: skewed,
        ledger: { owed: '900', paid: '0', outstanding: '900' },
        projected: { owed: '900', paid: '7', outstanding: '893' },
      },
    });
    expect(await rc.findings(RECONCILER, `citizen-balances:${lost}:SAR`)).toMatchObject([{ status: 'healed' }]);
    expect(await rc.findings(RECONCILER, `citizen-balances:phantom:SAR`)).toMatchObject([{ status: 'healed' }]);
    expect(await rc.findings(RECONCILER, `citizen-balances:${fine}:SAR`)).toEqual([]);
    expect(await drift(rc.db)).toEqual([]);

    expect(await rc.run(RECONCILER)).toMatchObject({ status: 'succeeded', findings: 0, healed: 0 });
  });

  it('leaves a subject alone while its newest entry is younger than the grace period', async () => {
    const graced = await startTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000' } }); // default grace: 60 s
    try {
      const client = reconciliationClient(graced);
      await client.afterStartRuns(RECONCILER);
      const citizenId = newCitizenId('proj-young');
      await registerDebt(graced, citizenId, 500);
      await eventually(async () => expect(await drift(client.db)).toEqual([]));
      await client.db.query(`UPDATE ledger_citizen_balance SET outstanding = 1 WHERE citizen_id = $1`, [citizenId]);

      expect(await client.run(RECONCILER)).toMatchObject({ status: 'succeeded', findings: 0 });
      expect(await drift(client.db)).toHaveLength(1);
    } finally {
      await graced.close();
    }
  });
});
