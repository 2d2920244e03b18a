import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation (docs/adr/0011-reconciliation.md):
 * - reconciliation_run: one row per run of a reconciler, scheduled or requested by an admin.
 * - reconciliation_finding: what runs found, once per deterministic key (reconciler, rules version,
 *   window, subject); at most one open exception per (reconciler, subject, rules version).
 */
export class Reconciliation1795200000600 implements MigrationInterface {
  name = 'Reconciliation1795200000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_run (
        id uuid PRIMARY KEY,
        reconciler text NOT NULL,
        rules_version integer NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        window_from timestamptz,
        window_to timestamptz,
        findings integer NOT NULL DEFAULT 0,
        healed integer NOT NULL DEFAULT 0,
        exceptions integer NOT NULL DEFAULT 0,
        error text,
        correlation_id text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CHECK (status = 'queued' OR (window_from IS NOT NULL AND window_to IS NOT NULL AND started_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX reconciliation_run_reconciler_idx ON reconciliation_run (reconciler, status, id)`);

    await q.query(`
      CREATE TABLE reconciliation_finding (
        id uuid PRIMARY KEY,
        key text NOT NULL UNIQUE,
        reconciler text NOT NULL,
        subject text NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        rules_version integer NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'healed', 'resolved')),
        description text NOT NULL,
        details jsonb NOT NULL,
        heal_error text,
        first_run_id uuid NOT NULL REFERENCES reconciliation_run (id),
        last_seen_run_id uuid NOT NULL REFERENCES reconciliation_run (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        healed_at timestamptz,
        resolved_at timestamptz,
        CHECK ((status = 'healed') = (healed_at IS NOT NULL))
      )`);
    // A subject still open is not opened again by a later window's run: that run only marks it seen.
    await q.query(
      `CREATE UNIQUE INDEX reconciliation_finding_open_idx ON reconciliation_finding (reconciler, subject, rules_version)
       WHERE status = 'open'`,
    );
    await q.query(`CREATE INDEX reconciliation_finding_status_idx ON reconciliation_finding (status, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciliation_finding`);
    await q.query(`DROP TABLE reconciliation_run`);
  }
}
