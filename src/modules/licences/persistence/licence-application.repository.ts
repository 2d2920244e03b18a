import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LicenceApplicationEntity } from './licence-application.entity.js';

/**
 * The licence application's one home: every statement that writes `licences_application`
 * (test/architecture/aggregate-homes.e2e-spec.ts keeps every other file from writing the table). An
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
}
