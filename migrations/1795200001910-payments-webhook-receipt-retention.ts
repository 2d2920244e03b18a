import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook receipts are pruned by age (docs/adr/0019-forged-jobs-and-pruning.md): an index on
 * `received_at`, so each bounded batch finds its old rows without scanning the table.
 */
export class PaymentsWebhookReceiptRetention1795200001910 implements MigrationInterface {
  name = 'PaymentsWebhookReceiptRetention1795200001910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX payments_webhook_event_received_at_idx ON payments_webhook_event (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payments_webhook_event_received_at_idx`);
  }
}
