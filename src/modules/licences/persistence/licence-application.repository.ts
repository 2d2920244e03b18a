import { Injectable } from '@nestjs/common';
import { type EntityManager, MoreThan } from 'typeorm';
import { LicenceApplicationEntity } from './licence-application.entity.js';

/**
 * The licence application's one home: every statement in src/ that touches `licences_application`,
 * read or write (test/architecture/aggregate-homes.e2e-spec.ts fails on a statement anywhere else),
 * including the controller's reads and the blocked-applications reconciler's sweep. An
 * application is inserted `issued` (with its number) or `blocked`; a blocked one is issued once,
 * when its citizen owes nothing.
 */
@Injectable()
export class LicenceApplicationRepository {
  /** The next licence number, `LIC-00000042`. */
  async nextLicenceNumber(tx: EntityManager): Promise<string> {
    const [{ number }]: Array<{ number: string }> = await tx.query(
      `SELECT 'LIC-' || lpad(nextval('licences_licence_number_seq')::text, 8, '0') AS number`,
    );
    return number;
  }

  /** The inserted application, with created_at as PostgreSQL filled it in (no re-read). */
  async insert(
    tx: EntityManager,
    application: Omit<LicenceApplicationEntity, 'createdAt'>,
  ): Promise<LicenceApplicationEntity> {
    const { generatedMaps } = await tx.getRepository(LicenceApplicationEntity).insert(application);
    return { ...application, ...generatedMaps[0] } as LicenceApplicationEntity;
  }

  /** blocked → issued, for every blocked application of the citizen, each with a new number; those issued now. */
  async issueBlockedOf(tx: EntityManager, citizenId: string): Promise<Array<{ id: string; licence_number: string }>> {
    const [rows]: [Array<{ id: string; licence_number: string }>, number] = await tx.query(
      `UPDATE licences_application
       SET status = 'issued', issued_at = now(),
           licence_number = 'LIC-' || lpad(nextval('licences_licence_number_seq')::text, 8, '0')
       WHERE citizen_id = $1 AND status = 'blocked'
       RETURNING id, licence_number`,
      [citizenId],
    );
    return rows;
  }

  /** The application, or null when there is none. */
  async findById(tx: EntityManager, id: string): Promise<LicenceApplicationEntity | null> {
    return tx.getRepository(LicenceApplicationEntity).findOneBy({ id });
  }

  /** One page of the citizen's applications by id, after `after` when given (`take` rows at most). */
  async pageOfCitizen(
    tx: EntityManager,
    citizenId: string,
    after: string | undefined,
    take: number,
  ): Promise<LicenceApplicationEntity[]> {
    return tx.getRepository(LicenceApplicationEntity).find({
      where: { citizenId, ...(after ? { id: MoreThan(after) } : {}) },
      order: { id: 'ASC' },
      take,
    });
  }

  /**
   * Blocked applications grouped by citizen, for citizens after `after` in order, `limit` citizens
   * at most (keyset pages over the partial index on blocked rows). `limit` is the caller's integer
   * constant, written into the statement as before.
   */
  async blockedByCitizenAfter(
    tx: EntityManager,
    after: string,
    limit: number,
  ): Promise<Array<{ citizen_id: string; application_ids: string[] }>> {
    return tx.query(
      `SELECT citizen_id, array_agg(id::text ORDER BY id) AS application_ids
         FROM licences_application
         WHERE status = 'blocked' AND citizen_id > $1
         GROUP BY citizen_id ORDER BY citizen_id LIMIT ${limit}`,
      [after],
    );
  }
}
