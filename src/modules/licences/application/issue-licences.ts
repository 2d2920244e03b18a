import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { DebtsApi } from '../../debts/index.js';
import { LicenceIssuedV1 } from '../events/index.js';
import { LicenceApplicationRepository } from '../persistence/licence-application.repository.js';

/**
 * Issues every blocked application of a citizen who owes nothing now, each exactly once (the
 * conditional update only touches rows still blocked). Used by the citizen-cleared listener and
 * by the reconciler that heals missed clearances. Returns the ids issued.
 */
@Injectable()
export class IssueLicences {
  constructor(
    private readonly debts: DebtsApi,
    private readonly outbox: OutboxWriter,
    private readonly applications: LicenceApplicationRepository,
  ) {}

  async forClearedCitizen(tx: EntityManager, citizenId: string): Promise<string[]> {
    if ((await this.debts.outstandingDebts(citizenId, tx)).length > 0) return [];
    const rows = await this.applications.issueBlockedOf(tx, citizenId);
    // One append for all of them: one round trip however many applications the citizen had.
    if (rows.length > 0) {
      await this.outbox.append(
        tx,
        rows.map((row) => ({
          contract: LicenceIssuedV1,
          aggregateId: row.id,
          payload: { applicationId: row.id, citizenId, licenceNumber: row.licence_number },
        })),
      );
    }
    return rows.map((row) => row.id);
  }
}
