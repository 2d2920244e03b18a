import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { accountPattern, type BalanceProjection } from './balance-projections.js';
import { ProjectionMetrics } from './projection-metrics.js';
import { ProjectionStore, requireProjection } from './projection-store.js';

/** Ledger entries one rebuild statement folds at most (keyset pages over `ledger_entry.id`). */
export const REBUILD_BATCH = 20_000;
/** Old-version rows one cleanup DELETE removes at most. */
const CLEANUP_BATCH = 10_000;
/** Catch-up passes outside the swap lock, each over what committed during the one before. */
const CATCH_UP_PASSES = 5;
/** Subjects left that a pass may leave to the swap, which holds writers back meanwhile. */
const SWAP_WHEN_AT_MOST = 500;
/** A running rebuild whose process has not reported progress for this long is abandoned. */
const ABANDONED_AFTER_S = 60;

export interface RebuildProgress {
  phase: 'scanning' | 'catching-up' | 'swapping' | 'done';
  done: number;
  total: number;
}

/** A rebuild as stored and as the admin API shows it. */
export interface RebuildView {
  id: string;
  projection: string;
  version: number;
  status: 'running' | 'succeeded' | 'failed';
  progress: { done: number; total: number | null };
  /** Subjects recomputed after the scan, for entries that committed while it ran. */
  caughtUp: number;
  error: string | null;
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
}

interface RebuildRow {
  id: string;
  projection: string;
  version: number;
  status: RebuildView['status'];
  entries_done: string;
  entries_total: string | null;
  caught_up: number;
  error: string | null;
  requested_by: string;
  started_at: Date;
  finished_at: Date | null;
}

/** A rebuild of this projection is already running. */
export class RebuildInProgressError extends Error {
  constructor(readonly rebuildId: string) {
    super(`rebuild ${rebuildId} is running`);
  }
}

export function toRebuildView(row: RebuildRow): RebuildView {
  return {
    id: row.id,
    projection: row.projection,
    version: row.version,
    status: row.status,
    progress: { done: Number(row.entries_done), total: row.entries_total === null ? null : Number(row.entries_total) },
    caughtUp: row.caught_up,
    error: row.error,
    requestedBy: row.requested_by,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationSeconds: row.finished_at ? (row.finished_at.getTime() - row.started_at.getTime()) / 1000 : null,
  };
}

/**
 * Rebuilds a balance projection from the ledger without taking reads down
 * (docs/adr/0031-balance-projections.md):
 *
 * 1. note a snapshot S of the database and fill a new version from the entries S sees, in keyset
 *    batches over `ledger_entry.id`, each its own short statement (reads stay on the live version);
 * 2. catch up: recompute, in the new version, each subject with entries S did not see (committed
 *    meanwhile), pass after pass, each pass over what committed during the previous one;
 * 3. swap: lock the projection row (`FOR UPDATE`, which waits for the writers of the live version
 *    and holds new ones back), recompute what committed since the last pass, flip `live_version`.
 *
 * Events delivered after the swap recompute their subjects in the new version; recomputing is
 * idempotent, so an event whose entries the rebuild already counted changes nothing.
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger(ProjectionRebuilder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ProjectionStore,
    private readonly metrics: ProjectionMetrics,
  ) {}

  /**
   * Records a new rebuild of projection `name`, running from now; run it with {@link run}.
   * @throws RebuildInProgressError when one is running (one that stopped reporting is failed first).
   */
  async start(name: string, requestedBy: string): Promise<RebuildView> {
    const projection = requireProjection(name);
    await this.dataSource.query(
      `UPDATE ledger_projection_rebuild
       SET status = 'failed', error = 'abandoned: the process running it stopped', finished_at = now()
       WHERE projection = $1 AND status = 'running' AND heartbeat_at < now() - make_interval(secs => $2)`,
      [projection.name, ABANDONED_AFTER_S],
    );
    const rows: RebuildRow[] = await this.dataSource.query(
      `INSERT INTO ledger_projection_rebuild (id, projection, version, status, requested_by)
       SELECT $1, p.name, greatest(p.live_version, coalesce(max(r.version), 0)) + 1, 'running', $3
       FROM ledger_projection p LEFT JOIN ledger_projection_rebuild r ON r.projection = p.name
       WHERE p.name = $2 GROUP BY p.name, p.live_version
       ON CONFLICT (projection) WHERE status = 'running' DO NOTHING
       RETURNING *`,
      [uuidv7(), projection.name, requestedBy],
    );
    if (rows.length === 0) {
      const [running] = await this.dataSource.query(
        `SELECT id FROM ledger_projection_rebuild WHERE projection = $1 AND status = 'running'`,
        [projection.name],
      );
      throw new RebuildInProgressError(running?.id ?? 'unknown');
    }
    return toRebuildView(rows[0]);
  }

  /** Runs rebuild `rebuild` (from {@link start}) to its end; a failure is recorded on it and rethrown. */
  async run(rebuild: RebuildView, onProgress?: (progress: RebuildProgress) => void): Promise<RebuildView> {
    const projection = requireProjection(rebuild.projection);
    const stopTimer = this.metrics.rebuildSeconds.startTimer({ projection: projection.name });
    try {
      await this.removeOtherVersions(projection, rebuild.version, 'except-live');
      const [{ snapshot, total }] = await this.dataSource.query(
        `SELECT pg_current_snapshot()::text AS snapshot, (SELECT count(*) FROM ledger_entry)::bigint AS total`,
      );
      const progress: RebuildProgress = { phase: 'scanning', done: 0, total: Number(total) };
      await this.dataSource.query(`UPDATE ledger_projection_rebuild SET entries_total = $2 WHERE id = $1`, [
        rebuild.id,
        progress.total,
      ]);
      onProgress?.(progress);

      await this.scan(projection, rebuild, snapshot as string, progress, onProgress);

      progress.phase = 'catching-up';
      onProgress?.(progress);
      let seen = snapshot as string;
      let caughtUp = 0;
      for (let pass = 0; pass < CATCH_UP_PASSES; pass++) {
        const result = await this.dataSource.transaction(async (tx) => {
          const [{ now }] = await tx.query(`SELECT pg_current_snapshot()::text AS now`);
          const subjects = await this.committedSince(tx, projection, seen);
          await this.store.recompute(tx, projection, rebuild.version, subjects);
          return { now: now as string, count: subjects.length };
        });
        seen = result.now;
        caughtUp += result.count;
        if (result.count <= SWAP_WHEN_AT_MOST) break;
      }

      progress.phase = 'swapping';
      onProgress?.(progress);
      const old = await this.dataSource.transaction(async (tx) => {
        const [{ live_version: live }] = await tx.query(
          `SELECT live_version FROM ledger_projection WHERE name = $1 FOR UPDATE`,
          [projection.name],
        );
        const subjects = await this.committedSince(tx, projection, seen);
        await this.store.recompute(tx, projection, rebuild.version, subjects);
        await tx.query(`UPDATE ledger_projection SET live_version = $2 WHERE name = $1`, [
          projection.name,
          rebuild.version,
        ]);
        await tx.query(
          `UPDATE ledger_projection_rebuild
           SET status = 'succeeded', finished_at = clock_timestamp(), heartbeat_at = now(),
               entries_done = $2, entries_total = greatest(entries_total, $2), caught_up = $3
           WHERE id = $1`,
          [rebuild.id, progress.done, caughtUp + subjects.length],
        );
        return live as number;
      });
      stopTimer();
      progress.phase = 'done';
      onProgress?.(progress);
      this.logger.log({
        msg: 'projection rebuilt',
        projection: projection.name,
        rebuildId: rebuild.id,
        version: rebuild.version,
        replaced: old,
        entries: progress.done,
      });
      await this.removeOtherVersions(projection, rebuild.version, 'all');
      return this.view(rebuild.id);
    } catch (error) {
      await this.dataSource.query(
        `UPDATE ledger_projection_rebuild SET status = 'failed', error = $2, finished_at = clock_timestamp()
         WHERE id = $1 AND status = 'running'`,
        [rebuild.id, error instanceof Error ? error.message : String(error)],
      );
      throw error;
    }
  }

  async view(id: string): Promise<RebuildView> {
    const [row]: RebuildRow[] = await this.dataSource.query(`SELECT * FROM ledger_projection_rebuild WHERE id = $1`, [
      id,
    ]);
    if (!row) throw new Error(`rebuild ${id} does not exist`);
    return toRebuildView(row);
  }

  /** Rebuilds of `name`, newest first, at most `limit`. */
  async history(name: string, limit: number): Promise<RebuildView[]> {
    const rows: RebuildRow[] = await this.dataSource.query(
      `SELECT * FROM ledger_projection_rebuild WHERE projection = $1 ORDER BY id DESC LIMIT $2`,
      [name, limit],
    );
    return rows.map(toRebuildView);
  }

  /** Step 1: the new version from every entry `snapshot` sees, one bounded keyset page per statement. */
  private async scan(
    projection: BalanceProjection,
    rebuild: RebuildView,
    snapshot: string,
    progress: RebuildProgress,
    onProgress?: (progress: RebuildProgress) => void,
  ): Promise<void> {
    const { table, subjectColumn, columns } = projection;
    const names = columns.map((c) => c.name);
    const statement = `
      WITH batch AS (
        SELECT id, account, kind, amount, currency, txid FROM ledger_entry
        WHERE id > $1 ORDER BY id LIMIT ${REBUILD_BATCH}
      ), folded AS (
        INSERT INTO ${table} (version, ${subjectColumn}, currency, ${names.join(', ')})
        SELECT $2, split_part(account, ':', 2), currency, ${columns.map((c) => c.aggregate).join(', ')}
        FROM batch WHERE account LIKE $3 AND pg_visible_in_snapshot(txid, $4::pg_snapshot)
        GROUP BY 2, 3
        ON CONFLICT (version, ${subjectColumn}, currency) DO UPDATE SET
          ${names.map((n) => `${n} = ${table}.${n} + excluded.${n}`).join(', ')}
      )
      SELECT count(*)::int AS n, (SELECT id FROM batch ORDER BY id DESC LIMIT 1) AS last FROM batch`;
    let after = '00000000-0000-0000-0000-000000000000';
    let reported = Date.now();
    for (;;) {
      const [{ n, last }] = await this.dataSource.query(statement, [
        after,
        rebuild.version,
        accountPattern(projection),
        snapshot,
      ]);
      progress.done += n as number;
      if (n === 0) break;
      after = last as string;
      if (Date.now() - reported >= 250) {
        reported = Date.now();
        await this.reportProgress(rebuild.id, progress.done);
        onProgress?.(progress);
      }
      if (n < REBUILD_BATCH) break;
    }
    await this.reportProgress(rebuild.id, progress.done);
    onProgress?.(progress);
  }

  private async reportProgress(id: string, done: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE ledger_projection_rebuild SET entries_done = $2, heartbeat_at = now() WHERE id = $1`,
      [id, done],
    );
  }

  /** Subjects with entries that committed after `snapshot` (that it did not see) and before now. */
  private async committedSince(tx: EntityManager, projection: BalanceProjection, snapshot: string): Promise<string[]> {
    const rows: Array<{ subject: string }> = await tx.query(
      `SELECT DISTINCT split_part(account, ':', 2) AS subject FROM ledger_entry
       WHERE txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $1::pg_snapshot)
         AND account LIKE $2`,
      [snapshot, accountPattern(projection)],
    );
    return rows.map((row) => row.subject);
  }

  /** Deletes, in bounded batches, rows of versions other than `keep` (and other than the live one). */
  private async removeOtherVersions(
    projection: BalanceProjection,
    keep: number,
    which: 'except-live' | 'all',
  ): Promise<void> {
    const { table } = projection;
    for (;;) {
      const [, removed]: [unknown, number] = await this.dataSource.query(
        `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${table}
           WHERE version <> $1 AND ($2 OR version <> (SELECT live_version FROM ledger_projection WHERE name = $3))
           LIMIT ${CLEANUP_BATCH}))`,
        [keep, which === 'all', projection.name],
      );
      if (removed < CLEANUP_BATCH) break;
    }
  }
}

/** A rebuilder outside the Nest application (the `projections:rebuild` command), on `dataSource`. */
export function standaloneRebuilder(dataSource: DataSource): ProjectionRebuilder {
  return new ProjectionRebuilder(dataSource, new ProjectionStore(), new ProjectionMetrics());
}
