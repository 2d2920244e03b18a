import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { Relay, Sweeper } from '../../src/outbox/testing.js';
import { eventually } from '../support/eventually.js';
import { appendThings, createEffectTable, outboxTestSetup, recorderSubscription } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const FINDINGS = 'outbox-sweeper-redrives';

describe("reconciliation: the sweeper's re-drives are recorded as healed findings", () => {
  // No relay loop and no scheduler: the test claims (the relay "dies" before enqueueing) and sweeps.
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: { APP_ROLES: 'api,worker', OUTBOX_SWEEP_AFTER_MS: '200' },
  });
  let db: DataSource;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    await createEffectTable(db);
  });

  it('lists one healed finding per re-driven delivery, in a run of its own, once', async () => {
    const events = await appendThings(db, t.app.get(OutboxWriter), 5, { aggregateId: 'lost-on-claim' });
    expect((await t.app.get(Relay).claim()).claimed).toBe(5);
    // …and the relay died here: nothing reached Redis.

    const sweeper = t.app.get(Sweeper);
    let redriven = 0;
    await eventually(async () => {
      redriven += await sweeper.sweep();
      expect(redriven).toBe(5);
    });

    const findings: Array<{
      subject: string;
      status: string;
      healed_at: Date | null;
      details: Record<string, unknown>;
    }> = await db.query(`SELECT * FROM reconciliation_finding WHERE reconciler = $1 ORDER BY subject`, [FINDINGS]);
    expect(findings.map((f) => f.subject)).toEqual(
      events.map((e) => `delivery:${e.id}:${recorderSubscription.name}:redrive-1`).sort(),
    );
    for (const finding of findings) {
      expect(finding.status).toBe('healed');
      expect(finding.healed_at).not.toBeNull();
      expect(finding.details).toMatchObject({ subscriber: recorderSubscription.name, redrives: 1 });
    }
    const runs = await db.query(`SELECT status, findings, healed FROM reconciliation_run WHERE reconciler = $1`, [
      FINDINGS,
    ]);
    expect(runs).toEqual([{ status: 'succeeded', findings: 5, healed: 5 }]);

    // Handled now: a later sweep re-drives nothing and records nothing more.
    await eventually(async () => {
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM outbox_delivery WHERE event_id = ANY($1::uuid[]) AND state = 'handled'`,
        [events.map((e) => e.id)],
      );
      expect(n).toBe(5);
    });
    expect(await sweeper.sweep()).toBe(0);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM reconciliation_finding WHERE reconciler = $1`, [
      FINDINGS,
    ]);
    expect(n).toBe(5);

    const listed = await request(t.url)
      .get(`/admin/reconciliation/findings?status=healed&reconciler=${FINDINGS}`)
      .set('Authorization', `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(5);
  });
});
