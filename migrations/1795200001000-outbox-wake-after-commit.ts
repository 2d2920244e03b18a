import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The writer no longer NOTIFYs inside the appending transaction (docs/adr/0016-outbox-throughput-and-lane-isolation.md):
 * relays are woken after the commit, so `outbox_notify_once()` has no caller left. `down` restores it
 * for the code before that change.
 */
export class OutboxWakeAfterCommit1795200001000 implements MigrationInterface {
  name = 'OutboxWakeAfterCommit1795200001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION outbox_notify_once(text)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION outbox_notify_once(channel text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('outbox.notified', true) IS DISTINCT FROM '1' THEN
          PERFORM set_config('outbox.notified', '1', true);
          PERFORM pg_notify(channel, '');
        END IF;
      END $$`);
  }
}
