import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { Pruner } from '../../../platform/index.js';

/**
 * Deletes gateway webhook receipts (`payments_webhook_event`, the event ids already applied) older
 * than `WEBHOOK_RECEIPT_RETENTION_HOURS`. A receipt is what turns a second delivery of the same
 * webhook into "200, no second effect"; it must outlive every way that id can come back: a captured
 * request replayed (refused by the signature after 300 s anyway) and the provider's own redeliveries
 * (late, twice: API.md "Payment gateway protocol"), hence a retention of days, not minutes.
 */
@Pruner()
@Injectable()
export class WebhookReceiptPruner implements Pruner {
  readonly name = 'payments-webhook-receipts';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async pruneBatch(limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM payments_webhook_event WHERE ctid IN (
         SELECT ctid FROM payments_webhook_event
         WHERE received_at < now() - make_interval(hours => $1)
         LIMIT $2)`,
      [this.config.pruning.webhookReceiptRetentionHours, limit],
    );
    return deleted;
  }
}
