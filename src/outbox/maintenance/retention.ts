import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';

const BATCH = 5000;

/**
 * Prunes history older than the dedupe window in bounded batches (never one unbounded DELETE):
 * inbox rows, handled deliveries and archived events that no open delivery still needs.
 */
@Injectable()
export class Retention {
  private readonly logger = new Logger(Retention.name);

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly dataSource: DataSource,
  ) {}

  async prune(): Promise<Record<string, number>> {
    const hours = this.config.dedupeWindowHours;
    const removed = {
      inbox: await this.pruneBatches(
        `DELETE FROM outbox_inbox WHERE ctid IN (
           SELECT ctid FROM outbox_inbox WHERE handled_at < now() - make_interval(hours => $1) LIMIT ${BATCH})`,
        hours,
      ),
      deliveries: await this.pruneBatches(
        `DELETE FROM outbox_delivery WHERE ctid IN (
           SELECT ctid FROM outbox_delivery WHERE state = 'handled' AND handled_at < now() - make_interval(hours => $1) LIMIT ${BATCH})`,
        hours,
      ),
      events: await this.pruneBatches(
        `DELETE FROM outbox_event WHERE id IN (
           SELECT e.id FROM outbox_event e
           WHERE e.relayed_at < now() - make_interval(hours => $1)
             AND NOT EXISTS (SELECT 1 FROM outbox_delivery d WHERE d.event_id = e.id)
           LIMIT ${BATCH})`,
        hours,
      ),
    };
    if (Object.values(removed).some((n) => n > 0)) this.logger.log(`pruned ${JSON.stringify(removed)}`);
    return removed;
  }

  private async pruneBatches(sql: string, hours: number): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = (await this.dataSource.query(sql, [hours])) as [unknown, number];
      total += count;
      if (count < BATCH) return total;
    }
  }
}
