import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { ReconciliationWindow } from './reconciler.js';

export const RUN_TRIGGERS = ['schedule', 'manual'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINDING_STATUSES = ['open', 'healed', 'resolved'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** A run as the admin API shows it. */
export interface RunView {
  id: string;
  reconciler: string;
  rulesVersion: number;
  trigger: RunTrigger;
  status: RunStatus;
  windowFrom: string | null;
  windowTo: string | null;
  /** Findings the run's check reported (new or seen before). */
  findings: number;
  /** Findings this run healed. */
  healed: number;
  /** Findings left open after this run (new or already open). */
  exceptions: number;
  error: string | null;
  correlationId: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A finding as the admin API shows it. */
export interface FindingView {
  id: string;
  key: string;
  reconciler: string;
  subject: string;
  windowFrom: string;
  windowTo: string;
  rulesVersion: number;
  status: FindingStatus;
  description: string;
  details: Record<string, unknown>;
  /** Why the last heal attempt failed, while the finding is open. */
  healError: string | null;
  firstRunId: string;
  lastSeenRunId: string;
  createdAt: string;
  healedAt: string | null;
  resolvedAt: string | null;
}

/** A run that is about to execute: its id, correlation id and window are fixed. */
export interface StartedRun {
  id: string;
  trigger: RunTrigger;
  correlationId: string;
  window: ReconciliationWindow;
}

export interface RunTotals {
  findings: number;
  healed: number;
  exceptions: number;
}

interface RunRow {
  id: string;
  reconciler: string;
  rules_version: number;
  trigger: RunTrigger;
  status: RunStatus;
  window_from: Date | null;
  window_to: Date | null;
  findings: number;
  healed: number;
  exceptions: number;
  error: string | null;
  correlation_id: string;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface FindingRow {
  id: string;
  key: string;
  reconciler: string;
  subject: string;
  window_from: Date;
  window_to: Date;
  rules_version: number;
  status: FindingStatus;
  description: string;
  details: Record<string, unknown>;
  heal_error: string | null;
  first_run_id: string;
  last_seen_run_id: string;
  created_at: Date;
  healed_at: Date | null;
  resolved_at: Date | null;
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

function toRunView(row: RunRow): RunView {
  return {
    id: row.id,
    reconciler: row.reconciler,
    rulesVersion: row.rules_version,
    trigger: row.trigger,
    status: row.status,
    windowFrom: iso(row.window_from),
    windowTo: iso(row.window_to),
    findings: row.findings,
    healed: row.healed,
    exceptions: row.exceptions,
    error: row.error,
    correlationId: row.correlation_id,
    requestedAt: row.requested_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

function toFindingView(row: FindingRow): FindingView {
  return {
    id: row.id,
    key: row.key,
    reconciler: row.reconciler,
    subject: row.subject,
    windowFrom: row.window_from.toISOString(),
    windowTo: row.window_to.toISOString(),
    rulesVersion: row.rules_version,
    status: row.status,
    description: row.description,
    details: row.details,
    healError: row.heal_error,
    firstRunId: row.first_run_id,
    lastSeenRunId: row.last_seen_run_id,
    createdAt: row.created_at.toISOString(),
    healedAt: iso(row.healed_at),
    resolvedAt: iso(row.resolved_at),
  };
}

const started = (row: RunRow): StartedRun => ({
  id: row.id,
  trigger: row.trigger,
  correlationId: row.correlation_id,
  window: { from: row.window_from!, to: row.window_to! },
});

/** The run and finding tables (`reconciliation_run`, `reconciliation_finding`). */
@Injectable()
export class ReconciliationStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The database clock: every process derives windows from the same one. */
  async now(): Promise<Date> {
    const [row] = await this.dataSource.query(`SELECT clock_timestamp() AS now`);
    return row.now as Date;
  }

  /** Records an admin's request; the run executes when a scheduler process takes it. */
  async queue(reconciler: string, rulesVersion: number): Promise<string> {
    const id = uuidv7();
    await this.dataSource.query(
      `INSERT INTO reconciliation_run (id, reconciler, rules_version, trigger, status, correlation_id)
       VALUES ($1, $2, $3, 'manual', 'queued', $4)`,
      [id, reconciler, rulesVersion, uuidv7()],
    );
    return id;
  }

  /** A scheduled run, running from now. */
  async start(reconciler: string, rulesVersion: number, window: ReconciliationWindow): Promise<StartedRun> {
    const [row]: RunRow[] = await this.dataSource.query(
      `INSERT INTO reconciliation_run
         (id, reconciler, rules_version, trigger, status, correlation_id, window_from, window_to, started_at)
       VALUES ($1, $2, $3, 'schedule', 'running', $4, $5, $6, now())
       RETURNING *`,
      [uuidv7(), reconciler, rulesVersion, uuidv7(), window.from, window.to],
    );
    return started(row);
  }

  /**
   * Starts a queued run: `runId` when given, else the oldest queued run of `reconciler`.
   * Undefined when there is none (or another process started it already).
   */
  async claim(
    reconciler: string,
    rulesVersion: number,
    window: ReconciliationWindow,
    runId?: string,
  ): Promise<StartedRun | undefined> {
    const [rows]: [RunRow[], number] = await this.dataSource.query(
      `UPDATE reconciliation_run
       SET status = 'running', rules_version = $2, window_from = $3, window_to = $4, started_at = now()
       WHERE id = (
         SELECT id FROM reconciliation_run
         WHERE reconciler = $1 AND status = 'queued' AND ($5::uuid IS NULL OR id = $5::uuid)
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [reconciler, rulesVersion, window.from, window.to, runId ?? null],
    );
    return rows[0] && started(rows[0]);
  }

  /**
   * Fails the runs of `reconciler` left `running` by a process that stopped mid-run. Call it only
   * while holding the reconciler's task lock: then no run of it is really running anywhere.
   */
  async abandonRunning(reconciler: string): Promise<number> {
    const [, count]: [unknown, number] = await this.dataSource.query(
      `UPDATE reconciliation_run
       SET status = 'failed', error = 'abandoned: the process running it stopped', finished_at = now()
       WHERE reconciler = $1 AND status = 'running'`,
      [reconciler],
    );
    return count;
  }

  /**
   * Records `findings` that were healed elsewhere (the outbox sweeper's re-drives) as one finished
   * run of `reconciler` with its findings already `healed`, under their deterministic keys: one
   * recorded twice is kept once. Returns how many findings were new.
   */
  async recordHealed(
    reconciler: string,
    window: ReconciliationWindow,
    findings: ReadonlyArray<{ key: string; subject: string; description: string; details: Record<string, unknown> }>,
  ): Promise<number> {
    if (findings.length === 0) return 0;
    return this.dataSource.transaction(async (tx) => {
      const runId = uuidv7();
      await tx.query(
        `INSERT INTO reconciliation_run
           (id, reconciler, rules_version, trigger, status, correlation_id, window_from, window_to, started_at, finished_at)
         VALUES ($1, $2, 1, 'schedule', 'succeeded', $3, $4, $5, now(), now())`,
        [runId, reconciler, uuidv7(), window.from, window.to],
      );
      const inserted: unknown[] = await tx.query(
        `INSERT INTO reconciliation_finding
           (id, key, reconciler, subject, window_from, window_to, rules_version, status, description, details,
            first_run_id, last_seen_run_id, healed_at)
         SELECT f.id, f.key, $1, f.subject, $2, $3, 1, 'healed', f.description, f.details, $4, $4, now()
         FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::jsonb[]) AS f(id, key, subject, description, details)
         ON CONFLICT DO NOTHING
         RETURNING 1`,
        [
          reconciler,
          window.from,
          window.to,
          runId,
          findings.map(() => uuidv7()),
          findings.map((f) => f.key),
          findings.map((f) => f.subject),
          findings.map((f) => f.description),
          findings.map((f) => JSON.stringify(f.details)),
        ],
      );
      await tx.query(`UPDATE reconciliation_run SET findings = $2, healed = $2 WHERE id = $1`, [
        runId,
        inserted.length,
      ]);
      return inserted.length;
    });
  }

  async finish(runId: string, status: 'succeeded' | 'failed', totals: RunTotals, error?: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE reconciliation_run
       SET status = $2, findings = $3, healed = $4, exceptions = $5, error = $6, finished_at = now()
       WHERE id = $1`,
      [runId, status, totals.findings, totals.healed, totals.exceptions, error?.slice(0, 2000) ?? null],
    );
  }

  async run(id: string): Promise<RunView | undefined> {
    const [row]: RunRow[] = await this.dataSource.query(`SELECT * FROM reconciliation_run WHERE id = $1`, [id]);
    return row && toRunView(row);
  }

  /** Newest first; `before` is the id the previous page ended with. */
  async runs(
    filter: { reconciler?: string; status?: RunStatus },
    limit: number,
    before?: string,
  ): Promise<Array<RunView>> {
    const rows: RunRow[] = await this.dataSource.query(
      `SELECT * FROM reconciliation_run
       WHERE ($1::text IS NULL OR reconciler = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::uuid IS NULL OR id < $3::uuid)
       ORDER BY id DESC LIMIT $4`,
      [filter.reconciler ?? null, filter.status ?? null, before ?? null, limit],
    );
    return rows.map(toRunView);
  }

  async finding(id: string): Promise<FindingView | undefined> {
    const [row]: FindingRow[] = await this.dataSource.query(`SELECT * FROM reconciliation_finding WHERE id = $1`, [id]);
    return row && toFindingView(row);
  }

  /** Newest first; `before` is the id the previous page ended with. */
  async findings(
    filter: { reconciler?: string; status?: FindingStatus },
    limit: number,
    before?: string,
  ): Promise<FindingView[]> {
    const rows: FindingRow[] = await this.dataSource.query(
      `SELECT * FROM reconciliation_finding
       WHERE ($1::text IS NULL OR reconciler = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::uuid IS NULL OR id < $3::uuid)
       ORDER BY id DESC LIMIT $4`,
      [filter.reconciler ?? null, filter.status ?? null, before ?? null, limit],
    );
    return rows.map(toFindingView);
  }

  /** An admin closes an open exception; undefined when it is not open (or does not exist). */
  async resolve(id: string): Promise<FindingView | undefined> {
    const [rows]: [FindingRow[], number] = await this.dataSource.query(
      `UPDATE reconciliation_finding SET status = 'resolved', resolved_at = now()
       WHERE id = $1 AND status = 'open' RETURNING *`,
      [id],
    );
    return rows[0] && toFindingView(rows[0]);
  }
}
