import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payments, the simulated gateway's own charges (kept apart, as an external system's would be),
 * and the webhook event ids already seen (replay protection).
 */
export class Payments1795200000300 implements MigrationInterface {
  name = 'Payments1795200000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payments_payment (
        id uuid PRIMARY KEY,
        purpose text NOT NULL CHECK (purpose IN ('debt', 'order')),
        reference_id text NOT NULL,
        owner_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed', 'refunded')),
        failure_reason text,
        gateway_ref text,
        created_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payments_payment_reference_idx ON payments_payment (purpose, reference_id)`);
    await q.query(
      `CREATE INDEX payments_payment_pending_idx ON payments_payment (created_at) WHERE status = 'pending'`,
    );
    await q.query(`
      CREATE TABLE payments_gateway_sim_charge (
        idempotency_key text PRIMARY KEY,
        payment_id uuid NOT NULL,
        amount bigint NOT NULL,
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'declined')),
        gateway_ref text NOT NULL UNIQUE,
        decline_reason text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE payments_webhook_event (
        event_id text PRIMARY KEY,
        payment_id uuid NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payments_webhook_event`);
    await q.query(`DROP TABLE payments_gateway_sim_charge`);
    await q.query(`DROP TABLE payments_payment`);
  }
}
