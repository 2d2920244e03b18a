import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { DebtsApi } from '../../debts/index.js';
import { IssueLicences } from '../application/issue-licences.js';
import { LicenceApplicationRepository } from '../persistence/licence-application.repository.js';

const BATCH = 500;

/**
 * A blocked application whose citizen owes nothing should have been issued when the citizen was
 * cleared (SPEC.md, flow 7). Checks every blocked application (the partial index on blocked rows
 * keeps that cheap), so the window only names the run's slot. Heals by issuing the citizen's
 * blocked applications, the same idempotent use case the citizen-cleared listener runs: if that
 * listener also gets there, whichever commits second finds nothing left to issue.
 */
@Reconciler()
@Injectable()
export class IssueClearedBlockedApplicationsReconciler implements Reconciler {
  readonly name = 'licences-issue-cleared-blocked';
  readonly rulesVersion = 1;
  readonly everyMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly debts: DebtsApi,
    private readonly issue: IssueLicences,
    private readonly applications: LicenceApplicationRepository,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const findings: Finding[] = [];
    let after = '';
    for (;;) {
      const rows = await this.applications.blockedByCitizenAfter(tx, after, BATCH);
      const owing = await this.debts.citizensOwing(
        rows.map((row) => row.citizen_id),
        tx,
      );
      for (const { citizen_id: citizenId, application_ids: applicationIds } of rows) {
        if (owing.has(citizenId)) continue;
        findings.push({
          subject: `citizen:${citizenId}`,
          description: `${applicationIds.length} blocked application(s) of a citizen who owes nothing`,
          details: { citizenId, applicationIds },
          heal: async (healTx) => {
            await this.issue.forClearedCitizen(healTx, citizenId);
          },
        });
      }
      if (rows.length < BATCH) return findings;
      after = rows[rows.length - 1].citizen_id;
    }
  }
}
