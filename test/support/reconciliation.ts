import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { eventually } from './eventually.js';
import type { TestApp } from './test-app.js';

/** A `reconciliation_run` row as stored. */
export interface StoredRun {
  id: string;
  reconciler: string;
  rules_version: number;
  trigger: 'schedule' | 'manual';
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  window_from: Date | null;
  window_to: Date | null;
  findings: number;
  healed: number;
  exceptions: number;
  error: string | null;
  correlation_id: string;
}

/** A `reconciliation_finding` row as stored. */
export interface StoredFinding {
  id: string;
  key: string;
  reconciler: string;
  subject: string;
  status: 'open' | 'healed' | 'resolved';
  description: string;
  details: Record<string, unknown>;
  heal_error: string | null;
  first_run_id: string;
  last_seen_run_id: string;
  window_from: Date;
  window_to: Date;
  healed_at: Date | null;
}

/**
 * Drives reconciliation as an admin would (the admin API) and reads what it stored. Keeps the
 * scheduled runs out of the way: tests start the app with a long `RECONCILIATION_INTERVAL_MS`.
 */
export function reconciliationClient(t: TestApp) {
  const db = t.app.get(DataSource);
  const admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;

  async function requestRun(name: string): Promise<string> {
    const res = await request(t.url).post(`/admin/reconciliation/${name}/run`).set('Authorization', admin);
    if (res.status !== 202) throw new Error(`run request answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.runId as string;
  }

  async function storedRun(id: string): Promise<StoredRun | undefined> {
    const [run] = await db.query(`SELECT * FROM reconciliation_run WHERE id = $1`, [id]);
    return run;
  }

  /** Waits until run `id` has finished (succeeded or failed) and returns it. */
  async function finished(id: string, timeoutMs = 30_000): Promise<StoredRun> {
    return eventually(
      async () => {
        const run = await storedRun(id);
        if (run?.status !== 'succeeded' && run?.status !== 'failed') throw new Error(`run ${id} is ${run?.status}`);
        return run;
      },
      { timeoutMs },
    );
  }

  /**
   * Waits for the first scheduled run of each of `reconcilers` to finish: a job scheduler's first
   * run is due at start, and would otherwise race the test's own setup.
   */
  async function afterStartRuns(...reconcilers: string[]): Promise<void> {
    await eventually(async () => {
      const rows: Array<{ reconciler: string }> = await db.query(
        `SELECT DISTINCT reconciler FROM reconciliation_run
         WHERE trigger = 'schedule' AND status IN ('succeeded', 'failed') AND reconciler = ANY($1::text[])`,
        [reconcilers],
      );
      if (rows.length !== reconcilers.length) throw new Error('the start-up runs have not all finished');
    });
  }

  return {
    db,
    admin,
    afterStartRuns,
    requestRun,
    storedRun,
    finished,
    /** Requests a run through `POST /admin/reconciliation/{name}/run` and waits for its end. */
    run: async (name: string) => finished(await requestRun(name)),
    findings: (reconciler: string, subject?: string): Promise<StoredFinding[]> =>
      db.query(
        `SELECT * FROM reconciliation_finding WHERE reconciler = $1 AND ($2::text IS NULL OR subject = $2)
         ORDER BY id`,
        [reconciler, subject ?? null],
      ),
    /** Events of `type` (relayed or not) whose payload has `field` = `value`. */
    events: (type: string, field: string, value: string): Promise<Array<{ id: string; correlation_id: string }>> =>
      db.query(
        `SELECT id, correlation_id FROM (
           SELECT id, type, payload, correlation_id FROM outbox_event
           UNION ALL SELECT id, type, payload, correlation_id FROM outbox_message) e
         WHERE type = $1 AND payload->>$2 = $3`,
        [type, field, value],
      ),
  };
}

/** A citizen id of its own for one test. */
export const newCitizenId = (prefix = 'rec') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Registers a debt through the API as an issuer (role service) would. */
export async function registerDebt(t: TestApp, citizenId: string, amount: number): Promise<{ id: string }> {
  const res = await request(t.url)
    .post('/v1/debts')
    .set('Authorization', `Bearer ${t.token({ sub: 'issuer', roles: ['service'] })}`)
    .send({ citizenId, reference: `ref-${randomUUID()}`, kind: 'fine', amount, currency: 'SAR' });
  if (res.status !== 201) throw new Error(`debt registration answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Applies for a licence as the citizen; returns the application. */
export async function applyForLicence(t: TestApp, citizenId: string): Promise<{ id: string; status: string }> {
  const res = await request(t.url)
    .post('/v1/licences/applications')
    .set('Authorization', `Bearer ${t.token({ sub: citizenId, roles: ['citizen'] })}`)
    .send({ citizenId, activity: 'bakery', premisesAddress: '1 King Fahd Rd' });
  if (res.status !== 201) throw new Error(`application answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}
