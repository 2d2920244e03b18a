import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type BalanceProjection, projectionNamed } from './balance-projections.js';

/** One subject's balances in one currency, in minor units (bigint as pg returns it: text). */
export type BalanceRow = Record<string, string> & { subject: string; currency: string };

export class UnknownProjectionError extends Error {}

export function requireProjection(name: string): BalanceProjection {
  const projection = projectionNamed(name);
  if (!projection) throw new UnknownProjectionError(`unknown projection "${name}"`);
  return projection;
}

/**
 * Reads and writes the balance projections' rows. Every write recomputes whole subjects from the
 * ledger (never adds deltas), so it is idempotent and order-free: whoever recomputes a subject last,
 * under the subject's lock, writes what the ledger says at that moment.
 */
@Injectable()
export class ProjectionStore {
  /**
   * The version reads and subscribers use now, locked `FOR SHARE` until `tx` ends: a rebuild swaps
   * versions under `FOR UPDATE`, so it waits for every writer of the old version to finish.
   */
  async liveVersionForWrite(tx: EntityManager, projection: BalanceProjection): Promise<number> {
    const [row] = await tx.query(`SELECT live_version FROM ledger_projection WHERE name = $1 FOR SHARE`, [
      projection.name,
    ]);
    if (!row) throw new Error(`projection ${projection.name} is not registered (migrations not applied?)`);
    return row.live_version as number;
  }

  /** Recomputes `subjects` of the live version from the ledger, in `tx`. */
  async refresh(tx: EntityManager, projection: BalanceProjection, subjects: readonly string[]): Promise<void> {
    if (subjects.length === 0) return;
    const version = await this.liveVersionForWrite(tx, projection);
    await this.recompute(tx, projection, version, subjects);
  }

  /**
   * Replaces the rows of `subjects` in `version` by their sums over the ledger as committed now.
   * Takes each subject's advisory lock (in sorted order, so two writers never deadlock) first.
   */
  async recompute(
    tx: EntityManager,
    projection: BalanceProjection,
    version: number,
    subjects: readonly string[],
  ): Promise<void> {
    const sorted = [...new Set(subjects)].sort();
    if (sorted.length === 0) return;
    const { table, subjectColumn: subject, columns } = projection;
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1 || s)) FROM unnest($2::text[]) AS s`, [
      `ledger-projection:${projection.name}:`,
      sorted,
    ]);
    await tx.query(`DELETE FROM ${table} WHERE version = $1 AND ${subject} = ANY($2::text[])`, [version, sorted]);
    await tx.query(
      `INSERT INTO ${table} (version, ${subject}, currency, ${columns.map((c) => c.name).join(', ')})
       SELECT $1, s.subject, e.currency, ${columns.map((c) => c.aggregate).join(', ')}
       FROM unnest($2::text[]) AS s(subject)
       JOIN ledger_entry e ON e.account = $3 || s.subject || $4
       GROUP BY s.subject, e.currency`,
      [version, sorted, projection.accountPrefix, projection.accountSuffix],
    );
  }

  /** `subject`'s rows in the live version, one per currency, ordered by currency. */
  async balances(db: EntityManager, projection: BalanceProjection, subject: string): Promise<BalanceRow[]> {
    const { table, subjectColumn, columns } = projection;
    return db.query(
      `SELECT b.${subjectColumn} AS subject, b.currency, ${columns.map((c) => `b.${c.name}::text AS "${c.field}"`).join(', ')}
       FROM ${table} b JOIN ledger_projection p ON p.name = $1 AND b.version = p.live_version
       WHERE b.${subjectColumn} = $2 ORDER BY b.currency`,
      [projection.name, subject],
    );
  }
}
