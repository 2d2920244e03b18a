import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { accountPattern, BALANCE_PROJECTIONS, type BalanceProjection } from '../projections/balance-projections.js';
import { ProjectionStore } from '../projections/projection-store.js';

/**
 * Every row of each balance projection's live version must equal its sums over the ledger, and
 * every subject with entries must have its rows. Drift (a lost update, a row edited behind the
 * app's back) is healed by recomputing the subjects involved from the ledger. Subjects with an
 * entry younger than `PROJECTION_DRIFT_GRACE_MS` are left alone: their event may still be on its
 * way, and the projection is expected to lag by that hop.
 */
@Reconciler()
@Injectable()
export class ProjectionsMatchLedgerReconciler implements Reconciler {
  readonly name = 'ledger-projections-match-ledger';
  readonly rulesVersion = 1;
  readonly everyMs: number;
  private readonly graceMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: ProjectionStore,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
    this.graceMs = config.reconciliation.projectionDriftGraceMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const projection of BALANCE_PROJECTIONS) findings.push(...(await this.drift(tx, projection)));
    return findings;
  }

  private async drift(tx: EntityManager, projection: BalanceProjection): Promise<Finding[]> {
    const { table, subjectColumn, columns } = projection;
    const compared = columns.map((c) => `l.${c.name} IS DISTINCT FROM p.${c.name}`).join(' OR ');
    const rows: Array<Record<string, string | null> & { subject: string; currency: string }> = await tx.query(
      `WITH l AS (
         SELECT split_part(account, ':', 2) AS subject, currency, ${columns.map((c) => `${c.aggregate} AS ${c.name}`).join(', ')}
         FROM ledger_entry WHERE account LIKE $1 GROUP BY 1, 2
       ), p AS (
         SELECT b.${subjectColumn} AS subject, b.currency, ${columns.map((c) => `b.${c.name}`).join(', ')}
         FROM ${table} b JOIN ledger_projection r ON r.name = $2 AND b.version = r.live_version
       )
       SELECT coalesce(l.subject, p.subject) AS subject, coalesce(l.currency, p.currency) AS currency,
              ${columns.map((c) => `l.${c.name}::text AS "ledger_${c.field}", p.${c.name}::text AS "projection_${c.field}"`).join(', ')}
       FROM l FULL JOIN p ON p.subject = l.subject AND p.currency = l.currency
       WHERE (${compared})
         AND NOT EXISTS (
           SELECT 1 FROM ledger_entry e
           WHERE e.account = $3 || coalesce(l.subject, p.subject) || $4
             AND e.created_at > now() - make_interval(secs => $5::double precision / 1000))
       ORDER BY 1, 2`,
      [accountPattern(projection), projection.name, projection.accountPrefix, projection.accountSuffix, this.graceMs],
    );
    return rows.map((row) => {
      const ledger = Object.fromEntries(columns.map((c) => [c.field, row[`ledger_${c.field}`] ?? null]));
      const projected = Object.fromEntries(columns.map((c) => [c.field, row[`projection_${c.field}`] ?? null]));
      return {
        subject: `${projection.name}:${row.subject}:${row.currency}`,
        description: `${projection.name} of ${row.subject} in ${row.currency} differs from the ledger`,
        details: { projection: projection.name, subject: row.subject, currency: row.currency, ledger, projected },
        heal: (heal: EntityManager) => this.store.refresh(heal, projection, [row.subject]),
      };
    });
  }
}
