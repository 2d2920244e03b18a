import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claim order by urgency (docs/adr/0013-relay-claims-by-lane-priority.md): each outbox row carries
 * the priority of its most urgent subscriber's lane, and the relay claims `ORDER BY priority, id`,
 * so a backlog of bulk rows no longer delays critical ones. `outbox_notify_once()` lets an append
 * notify in the same statement as its insert, at most once per transaction.
 */
export class OutboxClaimPriority1795200000700 implements MigrationInterface {
  name = 'OutboxClaimPriority1795200000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_message ADD COLUMN priority smallint NOT NULL DEFAULT 1`);
    await q.query(`CREATE INDEX outbox_message_claim_idx ON outbox_message (priority, id)`);
    await q.query(`
      CREATE FUNCTION outbox_notify_once(channel text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('outbox.notified', true) IS DISTINCT FROM '1' THEN
          PERFORM set_config('outbox.notified', '1', true);
          PERFORM pg_notify(channel, '');
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION outbox_notify_once(text)`);
    await q.query(`DROP INDEX outbox_message_claim_idx`);
    await q.query(`ALTER TABLE outbox_message DROP COLUMN priority`);
  }
}
