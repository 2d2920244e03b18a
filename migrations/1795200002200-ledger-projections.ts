import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Balance projections (docs/adr/0031-balance-projections.md):
 * - ledger_entry.txid: the transaction that appended each entry, so a rebuild can tell the entries
 *   its snapshot saw from those that committed while it ran (`pg_visible_in_snapshot`).
 * - ledger_projection: each projection and the version reads are served from.
 * - ledger_citizen_balance, ledger_customer_balance: the balances, one set of rows per version, so a
 *   rebuild fills a new version beside the live one and a swap flips `live_version`. Integer minor
 *   units as numeric(38, 0): a sum of many bigint entries can pass what a bigint holds.
 * - ledger_projection_rebuild: rebuilds, their progress and duration.
 * Version 1 of both projections is filled from the ledger as it is.
 */
export class LedgerProjections1795200002200 implements MigrationInterface {
  name = 'LedgerProjections1795200002200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_entry ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX ledger_entry_txid_idx ON ledger_entry (txid)`);
    await q.query(`
      CREATE TABLE ledger_projection (
        name text PRIMARY KEY,
        live_version integer NOT NULL CHECK (live_version > 0)
      )`);
    await q.query(`
      CREATE TABLE ledger_citizen_balance (
        version integer NOT NULL,
        citizen_id text NOT NULL,
        currency char(3) NOT NULL,
        owed numeric(38, 0) NOT NULL,
        paid numeric(38, 0) NOT NULL,
        outstanding numeric(38, 0) NOT NULL,
        PRIMARY KEY (version, citizen_id, currency)
      )`);
    await q.query(`
      CREATE TABLE ledger_customer_balance (
        version integer NOT NULL,
        customer_id text NOT NULL,
        currency char(3) NOT NULL,
        paid numeric(38, 0) NOT NULL,
        refunded numeric(38, 0) NOT NULL,
        open_orders numeric(38, 0) NOT NULL,
        PRIMARY KEY (version, customer_id, currency)
      )`);
    await q.query(`
      CREATE TABLE ledger_projection_rebuild (
        id uuid PRIMARY KEY,
        projection text NOT NULL REFERENCES ledger_projection (name),
        version integer NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        entries_done bigint NOT NULL DEFAULT 0,
        entries_total bigint,
        caught_up integer NOT NULL DEFAULT 0,
        error text,
        requested_by text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // One rebuild of a projection at a time, across every process.
    await q.query(
      `CREATE UNIQUE INDEX ledger_projection_rebuild_running_idx ON ledger_projection_rebuild (projection)
       WHERE status = 'running'`,
    );
    await q.query(
      `CREATE INDEX ledger_projection_rebuild_projection_idx ON ledger_projection_rebuild (projection, id)`,
    );
    await q.query(
      `INSERT INTO ledger_projection (name, live_version) VALUES ('citizen-balances', 1), ('customer-balances', 1)`,
    );
    await q.query(`
      INSERT INTO ledger_citizen_balance (version, citizen_id, currency, owed, paid, outstanding)
      SELECT 1, split_part(account, ':', 2), currency,
             coalesce(sum(amount) FILTER (WHERE amount > 0), 0), coalesce(-sum(amount) FILTER (WHERE amount < 0), 0),
             sum(amount)
      FROM ledger_entry WHERE account LIKE 'citizen:%:receivable' GROUP BY 2, 3`);
    await q.query(`
      INSERT INTO ledger_customer_balance (version, customer_id, currency, paid, refunded, open_orders)
      SELECT 1, split_part(account, ':', 2), currency,
             coalesce(-sum(amount) FILTER (WHERE kind = 'payment-received'), 0),
             coalesce(sum(amount) FILTER (WHERE kind = 'payment-refunded'), 0),
             -sum(amount)
      FROM ledger_entry WHERE account LIKE 'customer:%:orders' GROUP BY 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_projection_rebuild`);
    await q.query(`DROP TABLE ledger_customer_balance`);
    await q.query(`DROP TABLE ledger_citizen_balance`);
    await q.query(`DROP TABLE ledger_projection`);
    await q.query(`DROP INDEX ledger_entry_txid_idx`);
    await q.query(`ALTER TABLE ledger_entry DROP COLUMN txid`);
  }
}
