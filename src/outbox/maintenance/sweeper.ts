import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import { type DeliveryToEnqueue, LaneQueues } from '../delivery/lane-queues.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { withinDeadline } from '../redis/bounded.js';
import { type ClaimedRow, toEnvelope } from '../relay/relay.js';
import { RedriveObservers, type RedrivenDelivery } from './redrive-observers.js';

const BATCH = 500;
// States in which BullMQ still holds the job and will run it: re-adding would be a no-op anyway.
const LIVE_JOB_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Re-drives every delivery that is not handled (nor dead) some time after its last progress,
 * from the ledger in Postgres: after a relay crash, a lost job, or the loss of every Redis key.
 * Redelivering something that did run is harmless: the inbox skips it.
 */
@Injectable()
export class Sweeper {
  private readonly logger = new Logger(Sweeper.name);

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly dataSource: DataSource,
    private readonly catalogue: EventCatalogue,
    private readonly queues: LaneQueues,
    private readonly metrics: OutboxMetrics,
    private readonly observers: RedriveObservers,
  ) {}

  /** Sweeps until nothing stale is left; returns how many deliveries it re-drove. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const { examined, redriven } = await this.sweepBatch();
      total += redriven.length;
      // After the commit: what observers record (reconciliation findings) is what really happened.
      await this.observers.notify(redriven);
      if (examined < BATCH) break;
    }
    if (total > 0) this.logger.warn(`re-drove ${total} deliveries`);
    return total;
  }

  private async sweepBatch(): Promise<{ examined: number; redriven: RedrivenDelivery[] }> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Array<
        Omit<ClaimedRow, 'subscriber'> & { subscriber: string; job_id: string; redrive_count: number }
      > = await tx.query(
        `SELECT e.*, d.subscriber, d.job_id, d.redrive_count
         FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id
         WHERE d.state IN ('pending', 'enqueued') AND d.updated_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY d.updated_at
         LIMIT ${BATCH}
         FOR UPDATE OF d SKIP LOCKED`,
        [this.config.sweepAfterMs],
      );
      // One Redis round trip per delivery, all in flight at once: row locks are held meanwhile, so
      // the whole round has a deadline (a failed sweep rolls back; the next one starts over).
      const checking = Promise.all(
        rows.map(async (row): Promise<DeliveryToEnqueue | undefined> => {
          const subscription = this.catalogue.subscription(row.subscriber);
          if (!subscription) return undefined; // a subscriber this build does not know: leave it for one that does
          const queue = this.queues.queue(subscription.lane);
          const state = await queue.getJobState(row.job_id);
          if (LIVE_JOB_STATES.has(state)) return undefined;
          // Completed or failed without a handled/dead ledger row, or gone: remove what is left and add it again.
          if (state !== 'unknown') await queue.remove(row.job_id);
          return { subscription, envelope: toEnvelope(row), jobId: row.job_id };
        }),
      );
      const found = await withinDeadline(checking, `job states of ${rows.length} stale deliveries`);
      const lost = found.filter((delivery) => delivery !== undefined);
      await this.queues.enqueue(lost);
      await tx.query(
        `UPDATE outbox_delivery d SET state = 'enqueued', updated_at = now(),
           redrive_count = redrive_count + CASE WHEN k.lost THEN 1 ELSE 0 END
         FROM unnest($1::uuid[], $2::text[], $3::boolean[]) AS k(event_id, subscriber, lost)
         WHERE d.event_id = k.event_id AND d.subscriber = k.subscriber`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.subscriber),
          rows.map((r) => lost.some((l) => l.envelope.id === r.id && l.subscription.name === r.subscriber)),
        ],
      );
      for (const delivery of lost) this.metrics.redriven.inc({ subscriber: delivery.subscription.name });
      const redriven = lost.map((delivery) => {
        const row = rows.find((r) => r.id === delivery.envelope.id && r.subscriber === delivery.subscription.name)!;
        return {
          eventId: row.id,
          eventType: row.type,
          subscriber: row.subscriber,
          correlationId: row.correlation_id,
          redrives: row.redrive_count + 1,
        };
      });
      return { examined: rows.length, redriven };
    });
  }
}
