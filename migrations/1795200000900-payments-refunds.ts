import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds: when and why a payment was refunded (the status CHECK of 1795200000300 already allows
 * `refunded`; a refunded payment must say when), and the simulated gateway's own refunds, at most
 * one per charge.
 */
export class PaymentsRefunds1795200000900 implements MigrationInterface {
  name = 'PaymentsRefunds1795200000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments_payment ADD COLUMN refunded_at timestamptz, ADD COLUMN refund_reason text`);
    await q.query(`
      ALTER TABLE payments_payment ADD CONSTRAINT payments_payment_refund_recorded
        CHECK ((status = 'refunded') = (refunded_at IS NOT NULL AND refund_reason IS NOT NULL))`);
    await q.query(`
      CREATE TABLE payments_gateway_sim_refund (
        idempotency_key text PRIMARY KEY,
        payment_id uuid NOT NULL,
        gateway_ref text NOT NULL UNIQUE,
        amount bigint NOT NULL,
        currency char(3) NOT NULL,
        refund_ref text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payments_gateway_sim_refund`);
    await q.query(`ALTER TABLE payments_payment DROP CONSTRAINT payments_payment_refund_recorded`);
    await q.query(`ALTER TABLE payments_payment DROP COLUMN refund_reason, DROP COLUMN refunded_at`);
  }
}
