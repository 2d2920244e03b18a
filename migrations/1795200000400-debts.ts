import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Citizens' debts; the outstanding amount can never leave [0, amount]. */
export class Debts1795200000400 implements MigrationInterface {
  name = 'Debts1795200000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE debts_debt (
        id uuid PRIMARY KEY,
        citizen_id text NOT NULL,
        reference text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('fine', 'fee', 'tax')),
        amount bigint NOT NULL CHECK (amount > 0),
        outstanding bigint NOT NULL CHECK (outstanding >= 0 AND outstanding <= amount),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('outstanding', 'settled')),
        due_date date,
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'settled') = (outstanding = 0))
      )`);
    await q.query(`CREATE INDEX debts_debt_citizen_idx ON debts_debt (citizen_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE debts_debt`);
  }
}
