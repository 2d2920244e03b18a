import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { register } from 'prom-client';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { currentCorrelation } from '../../src/platform/index.js';
import { type Finding, Reconciler } from '../../src/reconciliation/index.js';
import { eventually } from '../support/eventually.js';
import { reconciliationClient, type StoredRun } from '../support/reconciliation.js';
import { useTestApp } from '../support/scenario.js';

const DAY = 86_400_000;
const PROBLEM_JSON = /^application\/problem\+json/;

/** What the probe reconciler reports on its next checks; tests change it. */
interface Planned {
  subject: string;
  /** `ok`: heals; `fail`: the heal writes, then throws; absent: no heal (an exception). */
  heal?: 'ok' | 'fail';
}

const probe = {
  planned: [] as Planned[],
  failCheck: false,
  /** While set, checks wait for it: lets a test hold a run open. */
  gate: undefined as Promise<void> | undefined,
  active: 0,
  maxActive: 0,
};

/**
 * A reconciler of the test's own. Its schedule slot is 1000 days long, so every run of this test
 * file has the same window; its heals write to a table of the test's own, so a heal that commits
 * is visible as a row.
 */
@Reconciler()
@Injectable()
class ProbeReconciler implements Reconciler {
  readonly name = 'test-probe';
  readonly everyMs = 1000 * DAY;
  readonly rulesVersion = 1;

  async check(): Promise<Finding[]> {
    probe.active += 1;
    probe.maxActive = Math.max(probe.maxActive, probe.active);
    try {
      await probe.gate;
      if (probe.failCheck) throw new Error('probe check failed on purpose');
      return probe.planned.map(({ subject, heal }) => ({
        subject,
        description: `probe finding ${subject}`,
        details: { subject },
        heal:
          heal &&
          (async (tx: EntityManager) => {
            await tx.query(`INSERT INTO test_probe_heal (subject, correlation_id) VALUES ($1, $2)`, [
              subject,
              currentCorrelation()?.correlationId,
            ]);
            if (heal === 'fail') throw new Error(`heal of ${subject} failed on purpose`);
          }),
      }));
    } finally {
      probe.active -= 1;
    }
  }
}

/** The value of a counter for `labels`, from the process's default registry (what /metrics serves). */
async function counterValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}

describe('reconciliation framework', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000' }, providers: [ProbeReconciler] });
  let rc: ReturnType<typeof reconciliationClient>;

  const heals = async (subject: string): Promise<number> => {
    const [{ n }] = await rc.db.query(`SELECT count(*)::int AS n FROM test_probe_heal WHERE subject = $1`, [subject]);
    return n;
  };

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.db.query(`CREATE TABLE test_probe_heal (subject text NOT NULL, correlation_id text)`);
    // Every job scheduler's first run is due at once: let the probe's pass before counting runs.
    await eventually(async () => {
      const runs: StoredRun[] = await rc.db.query(
        `SELECT * FROM reconciliation_run WHERE reconciler = 'test-probe' AND trigger = 'schedule'`,
      );
      expect(runs.map((r) => r.status)).toEqual(['succeeded']);
    });
  });
  beforeEach(() => {
    probe.planned = [];
    probe.failCheck = false;
    probe.maxActive = 0;
  });

  it('registers each reconciler as the BullMQ job scheduler reconcile-<name>', async () => {
    const keys = (await t.app.get(ScheduledTasks).queue.getJobSchedulers()).map((s) => s.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'reconcile-test-probe',
        'reconcile-licences-issue-cleared-blocked',
        'reconcile-debts-ledger-matches-debts',
        'reconcile-payments-resolve-stale-pending',
      ]),
    );
  });

  it('heals the findings that have a heal, opens the others as exceptions, and stores and counts the run', async () => {
    const before = {
      runs: await counterValue('reconciliation_runs_total', { reconciler: 'test-probe', status: 'succeeded' }),
      findings: await counterValue('reconciliation_findings_total', { reconciler: 'test-probe' }),
      heals: await counterValue('reconciliation_heals_total', { reconciler: 'test-probe' }),
      exceptions: await counterValue('reconciliation_exceptions_total', { reconciler: 'test-probe' }),
    };
    probe.planned = [{ subject: 'fw-healable', heal: 'ok' }, { subject: 'fw-exception' }];

    const run = await rc.run('test-probe');

    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', findings: 2, healed: 1, exceptions: 1 });
    expect(run.error).toBeNull();
    const [healed] = await rc.findings('test-probe', 'fw-healable');
    expect(healed).toMatchObject({ status: 'healed', first_run_id: run.id, last_seen_run_id: run.id });
    expect(healed.healed_at).not.toBeNull();
    expect(healed.key).toBe(
      `test-probe|v1|${run.window_from!.toISOString()}|${run.window_to!.toISOString()}|fw-healable`,
    );
    const [exception] = await rc.findings('test-probe', 'fw-exception');
    expect(exception).toMatchObject({ status: 'open', first_run_id: run.id, details: { subject: 'fw-exception' } });
    expect(exception.healed_at).toBeNull();
    expect(await heals('fw-healable')).toBe(1);

    expect(await counterValue('reconciliation_runs_total', { reconciler: 'test-probe', status: 'succeeded' })).toBe(
      before.runs + 1,
    );
    expect(await counterValue('reconciliation_findings_total', { reconciler: 'test-probe' })).toBe(before.findings + 2);
    expect(await counterValue('reconciliation_heals_total', { reconciler: 'test-probe' })).toBe(before.heals + 1);
    expect(await counterValue('reconciliation_exceptions_total', { reconciler: 'test-probe' })).toBe(
      before.exceptions + 1,
    );
  });

  it('duplicates neither findings nor heals when the same window is run again', async () => {
    probe.planned = [{ subject: 'fw-rerun-healable', heal: 'ok' }, { subject: 'fw-rerun-exception' }];
    const first = await rc.run('test-probe');
    const heals0 = await counterValue('reconciliation_heals_total', { reconciler: 'test-probe' });
    const findings0 = await counterValue('reconciliation_findings_total', { reconciler: 'test-probe' });

    const second = await rc.run('test-probe');
    const third = await rc.run('test-probe');

    for (const rerun of [second, third]) {
      expect(rerun.window_from).toEqual(first.window_from);
      expect(rerun.window_to).toEqual(first.window_to);
      expect(rerun).toMatchObject({ status: 'succeeded', findings: 2, healed: 0, exceptions: 1 });
    }
    const healable = await rc.findings('test-probe', 'fw-rerun-healable');
    const exception = await rc.findings('test-probe', 'fw-rerun-exception');
    expect(healable).toHaveLength(1);
    expect(exception).toHaveLength(1);
    expect(healable[0]).toMatchObject({ status: 'healed', first_run_id: first.id, last_seen_run_id: third.id });
    expect(exception[0]).toMatchObject({ status: 'open', first_run_id: first.id, last_seen_run_id: third.id });
    expect(await heals('fw-rerun-healable')).toBe(1);
    expect(await counterValue('reconciliation_heals_total', { reconciler: 'test-probe' })).toBe(heals0);
    expect(await counterValue('reconciliation_findings_total', { reconciler: 'test-probe' })).toBe(findings0);
  });

  it('rolls a failing heal back and keeps its finding open with the error, then heals it on a later run', async () => {
    probe.planned = [{ subject: 'fw-flaky', heal: 'fail' }];
    const failed = await rc.run('test-probe');
    expect(failed).toMatchObject({ status: 'succeeded', findings: 1, healed: 0, exceptions: 1 });
    const [open] = await rc.findings('test-probe', 'fw-flaky');
    expect(open).toMatchObject({ status: 'open', heal_error: 'heal of fw-flaky failed on purpose' });
    expect(await heals('fw-flaky')).toBe(0); // the heal's write was rolled back with it

    probe.planned = [{ subject: 'fw-flaky', heal: 'ok' }];
    const retried = await rc.run('test-probe');
    expect(retried).toMatchObject({ status: 'succeeded', findings: 1, healed: 1, exceptions: 0 });
    const findings = await rc.findings('test-probe', 'fw-flaky');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: open.id, status: 'healed', heal_error: null });
    expect(await heals('fw-flaky')).toBe(1);
  });

  it('does not open a subject again while an earlier window left it open: a later run marks it seen or heals it', async () => {
    const earlier = await rc.run('test-probe');
    // Two findings left open by a run of an earlier window (one of them with a heal that had failed).
    for (const subject of ['fw-carried', 'fw-carried-healable']) {
      await rc.db.query(
        `INSERT INTO reconciliation_finding (id, key, reconciler, subject, window_from, window_to, rules_version,
           status, description, details, first_run_id, last_seen_run_id)
         VALUES (gen_random_uuid(), $1, 'test-probe', $2, $3, $4, 1, 'open', 'earlier', '{}', $5, $5)`,
        [
          `test-probe|v1|earlier-window|${subject}`,
          subject,
          new Date(earlier.window_from!.getTime() - 1000 * DAY),
          earlier.window_from,
          earlier.id,
        ],
      );
    }
    probe.planned = [{ subject: 'fw-carried' }, { subject: 'fw-carried-healable', heal: 'ok' }];

    const run = await rc.run('test-probe');

    expect(run).toMatchObject({ status: 'succeeded', findings: 2, healed: 1, exceptions: 1 });
    const [carried] = await rc.findings('test-probe', 'fw-carried');
    const [healable] = await rc.findings('test-probe', 'fw-carried-healable');
    expect(await rc.findings('test-probe', 'fw-carried')).toHaveLength(1);
    expect(await rc.findings('test-probe', 'fw-carried-healable')).toHaveLength(1);
    expect(carried).toMatchObject({ status: 'open', first_run_id: earlier.id, last_seen_run_id: run.id });
    expect(carried.description).toBe('probe finding fw-carried');
    expect(healable).toMatchObject({ status: 'healed', first_run_id: earlier.id, last_seen_run_id: run.id });
  });

  it('logs each heal with the run correlation id, reconciler and subject, and runs the heal under that id', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const original = Logger.prototype.log;
    Logger.prototype.log = function (this: Logger, message: unknown, ...rest: unknown[]) {
      if (typeof message === 'object' && message !== null) logged.push(message as Record<string, unknown>);
      return original.call(this, message, ...rest);
    };
    try {
      probe.planned = [{ subject: 'fw-logged', heal: 'ok' }];
      const run = await rc.run('test-probe');
      const [finding] = await rc.findings('test-probe', 'fw-logged');
      expect(logged).toContainEqual({
        msg: 'reconciliation finding healed',
        reconciler: 'test-probe',
        subject: 'fw-logged',
        runId: run.id,
        findingId: finding.id,
        correlationId: run.correlation_id,
      });
      const healedUnder = await rc.db.query(`SELECT correlation_id FROM test_probe_heal WHERE subject = 'fw-logged'`);
      expect(healedUnder).toEqual([{ correlation_id: run.correlation_id }]);
    } finally {
      Logger.prototype.log = original;
    }
  });

  it('stores a run whose check throws as failed, with the error, and counts it', async () => {
    const failedBefore = await counterValue('reconciliation_runs_total', {
      reconciler: 'test-probe',
      status: 'failed',
    });
    probe.failCheck = true;
    const run = await rc.run('test-probe');
    expect(run).toMatchObject({ status: 'failed', error: 'probe check failed on purpose', findings: 0 });
    expect(await counterValue('reconciliation_runs_total', { reconciler: 'test-probe', status: 'failed' })).toBe(
      failedBefore + 1,
    );
  });

  it('runs one at a time: a second concurrent run is skipped, and a run requested meanwhile runs after it', async () => {
    const tasks = t.app.get(ScheduledTasks);
    let open: () => void = () => undefined;
    probe.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      const [{ n: scheduledBefore }] = await rc.db.query(
        `SELECT count(*)::int AS n FROM reconciliation_run WHERE reconciler = 'test-probe' AND trigger = 'schedule'`,
      );
      const first = tasks.run('reconcile-test-probe');
      await eventually(() => expect(probe.active).toBe(1));
      expect(await tasks.run('reconcile-test-probe')).toBe(false);
      const requested = await rc.requestRun('test-probe');
      expect((await rc.storedRun(requested))?.status).toBe('queued');

      open();
      expect(await first).toBe(true);
      expect(await rc.finished(requested)).toMatchObject({ status: 'succeeded' });
      expect(probe.maxActive).toBe(1);
      const [{ n: scheduledAfter }] = await rc.db.query(
        `SELECT count(*)::int AS n FROM reconciliation_run WHERE reconciler = 'test-probe' AND trigger = 'schedule'`,
      );
      expect(scheduledAfter).toBe(scheduledBefore + 1); // the skipped run left no row
    } finally {
      probe.gate = undefined;
      open();
    }
  });

  it('runs a requested run that found the reconciler locked by another process once the lock is free', async () => {
    // Another process holding the task's advisory lock (ScheduledTasks locks `task:<name>`), e.g. one
    // whose run has already looked for queued runs for the last time and is about to unlock.
    const other = new pg.Client({ connectionString: t.isolation.databaseUrl });
    await other.connect();
    try {
      const [{ locked }] = (
        await other.query(`SELECT pg_try_advisory_lock(hashtext('task:reconcile-test-probe')) AS locked`)
      ).rows;
      expect(locked).toBe(true);
      const requested = await rc.requestRun('test-probe');
      await eventually(async () => {
        const delayed = await t.app.get(ScheduledTasks).queue.getJobs(['delayed']);
        expect(delayed.map((job) => job.data)).toContainEqual({ runId: requested });
      });
      expect((await rc.storedRun(requested))?.status).toBe('queued');

      await other.query(`SELECT pg_advisory_unlock(hashtext('task:reconcile-test-probe'))`);

      expect(await rc.finished(requested)).toMatchObject({ status: 'succeeded', trigger: 'manual' });
    } finally {
      await other.end();
    }
  });

  describe('admin API', () => {
    const get = (path: string, auth?: string) => {
      const req = request(t.url).get(path);
      return auth ? req.set('Authorization', auth) : req;
    };
    const citizen = () => `Bearer ${t.token({ sub: 'someone', roles: ['citizen'] })}`;

    it('requires the admin role: 401 without a token, 403 with another role', async () => {
      for (const [method, path] of [
        ['get', '/admin/reconciliation/runs'],
        ['get', '/admin/reconciliation/findings?status=open'],
        ['post', '/admin/reconciliation/test-probe/run'],
      ] as const) {
        const anonymous = await request(t.url)[method](path);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['content-type']).toMatch(PROBLEM_JSON);
        expect((await request(t.url)[method](path).set('Authorization', citizen())).status).toBe(403);
      }
    });

    it('POST /admin/reconciliation/{name}/run answers 202 with the run id; the run shows in /runs as succeeded', async () => {
      probe.planned = [{ subject: 'fw-api', heal: 'ok' }];
      const res = await request(t.url).post('/admin/reconciliation/test-probe/run').set('Authorization', rc.admin);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      await rc.finished(res.body.runId);

      const list = await get('/admin/reconciliation/runs?reconciler=test-probe', rc.admin);
      expect(list.status).toBe(200);
      expect(list.body.items[0]).toMatchObject({
        id: res.body.runId,
        reconciler: 'test-probe',
        trigger: 'manual',
        status: 'succeeded',
        rulesVersion: 1,
        findings: 1,
        healed: 1,
        exceptions: 0,
        correlationId: expect.any(String),
      });
      const ids: string[] = list.body.items.map((r: { id: string }) => r.id);
      expect([...ids].sort().reverse()).toEqual(ids); // newest first
    });

    it('answers 404 for an unknown reconciler', async () => {
      const res = await request(t.url).post('/admin/reconciliation/no-such-thing/run').set('Authorization', rc.admin);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    });

    it('pages runs with a cursor, newest first', async () => {
      await rc.run('test-probe');
      const first = await get('/admin/reconciliation/runs?limit=1', rc.admin);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await get(`/admin/reconciliation/runs?limit=1&cursor=${first.body.nextCursor}`, rc.admin);
      expect(second.status).toBe(200);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id < first.body.items[0].id).toBe(true);
      expect((await get('/admin/reconciliation/runs?cursor=bm90LWEtdXVpZA', rc.admin)).status).toBe(400);
    });

    it('lists findings filtered by status', async () => {
      probe.planned = [{ subject: 'fw-list-open' }, { subject: 'fw-list-healed', heal: 'ok' }];
      await rc.run('test-probe');
      for (const status of ['open', 'healed'] as const) {
        const res = await get(`/admin/reconciliation/findings?status=${status}&limit=200`, rc.admin);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeGreaterThan(0);
        expect(res.body.items.every((f: { status: string }) => f.status === status)).toBe(true);
        expect(res.body.items.map((f: { subject: string }) => f.subject)).toContain(`fw-list-${status}`);
      }
      const invalid = await get('/admin/reconciliation/findings?status=maybe', rc.admin);
      expect(invalid.status).toBe(400);
      expect(invalid.headers['content-type']).toMatch(PROBLEM_JSON);
    });

    it('resolves an open exception once (409 after that, 404 for an unknown one)', async () => {
      probe.planned = [{ subject: 'fw-resolve' }];
      await rc.run('test-probe');
      const [finding] = await rc.findings('test-probe', 'fw-resolve');
      const resolve = (id: string) =>
        request(t.url).post(`/admin/reconciliation/findings/${id}/resolve`).set('Authorization', rc.admin);
      const res = await resolve(finding.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: finding.id, status: 'resolved', resolvedAt: expect.any(String) });
      expect((await resolve(finding.id)).status).toBe(409);
      expect((await resolve('0190a6f0-0000-7000-8000-000000000000')).status).toBe(404);
      const resolved = await get('/admin/reconciliation/findings?status=resolved', rc.admin);
      expect(resolved.body.items.map((f: { id: string }) => f.id)).toContain(finding.id);
    });
  });
});
