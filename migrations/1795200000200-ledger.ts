import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The append-only ledger: entries keyed by (source, kind, account); UPDATE and DELETE refused. */
export class Ledger1795200000200 implements MigrationInterface {
  name = 'Ledger1795200000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_entry (
        id uuid PRIMARY KEY,
        source text NOT NULL,
        kind text NOT NULL,
        account text NOT NULL,
        amount bigint NOT NULL CHECK (amount <> 0),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source, kind, account)
      )`);
    await q.query(`CREATE INDEX ledger_entry_account_idx ON ledger_entry (account, currency)`);
    await q.query(`
      CREATE FUNCTION ledger_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger entries are append-only: post a reversal instead';
      END $$`);
    await q.query(`
      CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
      FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_entry`);
    await q.query(`DROP FUNCTION ledger_entry_append_only()`);
  }
}
