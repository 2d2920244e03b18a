import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../support/app-process.js';
import { eventually } from '../support/eventually.js';
import { isolate, type TestIsolation } from '../support/test-env.js';

interface LogLine {
  msg?: string;
  correlationId?: string;
  reconciler?: string;
  subject?: string;
  runId?: string;
  findingId?: string;
}

describe('reconciliation heals in the JSON logs', () => {
  let isolation: TestIsolation;
  let app: AppProcess;
  let db: pg.Client;

  beforeAll(async () => {
    isolation = await isolate();
    const port = await freePort();
    // Reconcilers every second: the scheduled runs themselves find and heal what the test breaks.
    app = spawnApp({ ...isolation.env, PORT: String(port), LOG_LEVEL: 'info', RECONCILIATION_INTERVAL_MS: '1000' });
    await waitUntilReady(port, app);
    db = new pg.Client({ connectionString: isolation.databaseUrl });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    app?.child.kill('SIGTERM');
    await app?.exited;
    await isolation?.dispose();
  });

  const lines = (): LogLine[] =>
    app
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);

  it('logs every heal as a JSON line with the run correlation id, the reconciler and the subject', async () => {
    const citizenId = `logs-${randomUUID().slice(0, 8)}`;
    // A citizen whose only debt is settled, and an application still blocked by it.
    const debtId = randomUUID();
    await db.query(
      `INSERT INTO debts_debt (id, citizen_id, reference, kind, amount, outstanding, currency, status, settled_at)
       VALUES ($1, $2, $3, 'fine', 100, 0, 'SAR', 'settled', now())`,
      [debtId, citizenId, `ref-${debtId}`],
    );
    const applicationId = randomUUID();
    await db.query(
      `INSERT INTO licences_application (id, citizen_id, activity, premises_address, status, blocking_debt_ids)
       VALUES ($1, $2, 'bakery', '1 King Fahd Rd', 'blocked', ARRAY[$3]::uuid[])`,
      [applicationId, citizenId, debtId],
    );

    const line = await eventually(
      () => {
        const found = lines().find(
          (l) => l.msg === 'reconciliation finding healed' && l.subject === `citizen:${citizenId}`,
        );
        if (!found) throw new Error('no heal line yet');
        return found;
      },
      { timeoutMs: 20_000 },
    );

    const {
      rows: [finding],
    } = await db.query(
      `SELECT f.id, f.status, r.id AS run_id, r.correlation_id FROM reconciliation_finding f
       JOIN reconciliation_run r ON r.id = f.first_run_id WHERE f.subject = $1`,
      [`citizen:${citizenId}`],
    );
    expect(finding.status).toBe('healed');
    expect(line).toMatchObject({
      reconciler: 'licences-issue-cleared-blocked',
      subject: `citizen:${citizenId}`,
      runId: finding.run_id,
      findingId: finding.id,
      correlationId: finding.correlation_id,
    });
    // The event the heal appended carries the same correlation id.
    const { rows: events } = await db.query(
      `SELECT correlation_id FROM (SELECT type, payload, correlation_id FROM outbox_event
         UNION ALL SELECT type, payload, correlation_id FROM outbox_message) e
       WHERE type = 'licences.licence-issued' AND payload->>'applicationId' = $1`,
      [applicationId],
    );
    expect(events).toEqual([{ correlation_id: finding.correlation_id }]);
  }, 60_000);
});
