import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refund is requested before the provider is asked (`refunding`, with its reason) and recorded
 * once the provider answered, with the provider's refund reference (`refund_ref`) and its time
 * (docs/adr/0048-payment-aggregate.md). Refunded rows from before keep a null `refund_ref`: the
 * provider's reference of those refunds was never stored.
 *
 * Down: a refund still in flight (`refunding`) goes back to `confirmed` without its reason - the
 * earlier code refunds from `confirmed` again when its cause is redelivered; a refund reference
 * already recorded is dropped with its column.
 */
export class PaymentsRefundReference1795200003400 implements MigrationInterface {
  name = 'PaymentsRefundReference1795200003400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments_payment ADD COLUMN refund_ref text`);
    await q.query(`ALTER TABLE payments_payment DROP CONSTRAINT payments_payment_status_check`);
    await q.query(`
      ALTER TABLE payments_payment ADD CONSTRAINT payments_payment_status_check
        CHECK (status IN ('pending', 'confirmed', 'refunding', 'failed', 'refunded'))`);
    await q.query(`ALTER TABLE payments_payment DROP CONSTRAINT payments_payment_refund_recorded`);
    await q.query(`
      ALTER TABLE payments_payment ADD CONSTRAINT payments_payment_refund_recorded
        CHECK ((status = 'refunded') = (refunded_at IS NOT NULL)
          AND (status IN ('refunding', 'refunded')) = (refund_reason IS NOT NULL)
          AND (refund_ref IS NULL OR status = 'refunded'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments_payment DROP CONSTRAINT payments_payment_refund_recorded`);
    await q.query(
      `UPDATE payments_payment SET status = 'confirmed', refund_reason = NULL, updated_at = now()
       WHERE status = 'refunding'`,
    );
    await q.query(`
      ALTER TABLE payments_payment ADD CONSTRAINT payments_payment_refund_recorded
        CHECK ((status = 'refunded') = (refunded_at IS NOT NULL AND refund_reason IS NOT NULL))`);
    await q.query(`ALTER TABLE payments_payment DROP CONSTRAINT payments_payment_status_check`);
    await q.query(`
      ALTER TABLE payments_payment ADD CONSTRAINT payments_payment_status_check
        CHECK (status IN ('pending', 'confirmed', 'failed', 'refunded'))`);
    await q.query(`ALTER TABLE payments_payment DROP COLUMN refund_ref`);
  }
}
