import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C `traceparent` of the span that appended an event (docs/adr/0034-tracing-across-the-outbox-hop.md),
 * on the hot outbox table and on the archive the relay moves rows to, so a relay, a re-drive and a
 * journey all find it. Null when tracing is off; adding a nullable column rewrites no rows.
 */
export class OutboxTraceContext1795200002400 implements MigrationInterface {
  name = 'OutboxTraceContext1795200002400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_message ADD COLUMN traceparent text`);
    await q.query(`ALTER TABLE outbox_event ADD COLUMN traceparent text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_event DROP COLUMN traceparent`);
    await q.query(`ALTER TABLE outbox_message DROP COLUMN traceparent`);
  }
}
