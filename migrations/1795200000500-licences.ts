import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Licence applications; licence numbers come from a sequence, so each is issued once and unique. */
export class Licences1795200000500 implements MigrationInterface {
  name = 'Licences1795200000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE licences_licence_number_seq`);
    await q.query(`
      CREATE TABLE licences_application (
        id uuid PRIMARY KEY,
        citizen_id text NOT NULL,
        activity text NOT NULL,
        premises_address text NOT NULL,
        status text NOT NULL CHECK (status IN ('blocked', 'issued')),
        blocking_debt_ids uuid[] NOT NULL DEFAULT '{}',
        licence_number text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        issued_at timestamptz,
        CHECK ((status = 'issued') = (licence_number IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX licences_application_citizen_idx ON licences_application (citizen_id, id)`);
    await q.query(
      `CREATE INDEX licences_application_blocked_idx ON licences_application (citizen_id) WHERE status = 'blocked'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE licences_application`);
    await q.query(`DROP SEQUENCE licences_licence_number_seq`);
  }
}
