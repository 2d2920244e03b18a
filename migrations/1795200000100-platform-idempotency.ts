import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys of HTTP commands (docs/adr/0010-idempotency-keys.md). A row is written in the
 * command's own transaction, so it exists exactly when the command's effects and outbox rows do;
 * `in_flight` is only ever seen by that transaction itself, other readers see `completed` rows.
 */
export class PlatformIdempotency1795200000100 implements MigrationInterface {
  name = 'PlatformIdempotency1795200000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE platform_idempotency_key (
        scope text NOT NULL,
        key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
        fingerprint text NOT NULL,
        status text NOT NULL CHECK (status IN ('in_flight', 'completed')),
        response_status integer CHECK (response_status BETWEEN 100 AND 599),
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, key),
        CHECK (status = 'in_flight' OR response_status IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX platform_idempotency_key_expires_at_idx ON platform_idempotency_key (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE platform_idempotency_key`);
  }
}
