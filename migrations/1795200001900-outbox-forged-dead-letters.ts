import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery job whose envelope does not match the event committed in PostgreSQL is dead-lettered
 * with reason `forged` (docs/adr/0019-forged-jobs-and-pruning.md). `down` deletes those dead
 * letters first, so the narrower check can be restored.
 */
export class OutboxForgedDeadLetters1795200001900 implements MigrationInterface {
  name = 'OutboxForgedDeadLetters1795200001900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_dead_letter DROP CONSTRAINT outbox_dead_letter_reason_check`);
    await q.query(
      `ALTER TABLE outbox_dead_letter ADD CONSTRAINT outbox_dead_letter_reason_check
         CHECK (reason IN ('exhausted', 'non-retryable', 'sequence-gap', 'forged'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM outbox_dead_letter WHERE reason = 'forged'`);
    await q.query(`ALTER TABLE outbox_dead_letter DROP CONSTRAINT outbox_dead_letter_reason_check`);
    await q.query(
      `ALTER TABLE outbox_dead_letter ADD CONSTRAINT outbox_dead_letter_reason_check
         CHECK (reason IN ('exhausted', 'non-retryable', 'sequence-gap'))`,
    );
  }
}
