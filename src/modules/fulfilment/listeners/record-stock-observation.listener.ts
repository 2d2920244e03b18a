import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { afterCommit, type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { StockObservedV1, type StockObservedV1Payload } from '../events/index.js';
import { recordObservation } from '../persistence/stock-buckets.js';
import { stockObservationMetrics } from './stock-observation.metrics.js';

export const recordStockObservationSubscription = subscribe(StockObservedV1, {
  name: 'fulfilment.record-stock-observation',
  module: 'fulfilment',
  lane: 'bulk',
  retry: { attempts: 5, backoffMs: 2000 },
});

/**
 * Keeps the newest scanner observation per stock bucket and measures its drift against the
 * recorded on-hand. Readings may arrive in any order: an older one than the kept observation is
 * ignored. Never touches `on_hand` or `reserved`: telemetry informs, it does not move stock.
 */
@Injectable()
@HandlesEvents(recordStockObservationSubscription)
export class RecordStockObservationListener implements EventHandler<StockObservedV1Payload> {
  async handle(event: Envelope<StockObservedV1Payload>, tx: EntityManager): Promise<void> {
    const { locationId, sku, observedOnHand, observedAt } = event.payload;
    // One statement (the bucket's home measures the drift in it): concurrent observations of the
    // same bucket serialise on its row, and the WHERE re-checks against whichever one committed first.
    const drift = await recordObservation(tx, locationId, sku, observedOnHand, observedAt);
    // Counted once the observation has committed: a delivery retried after a failed commit is not
    // counted twice.
    afterCommit(tx, () => countObservation(drift));
  }
}

/** `drift` is undefined for a stale observation, null for one of a bucket without stock. */
function countObservation(drift: number | null | undefined): void {
  const metrics = stockObservationMetrics;
  if (drift === undefined) {
    metrics.observations.inc({ outcome: 'stale' });
    return;
  }
  metrics.observations.inc({ outcome: 'applied' });
  if (drift === null) {
    metrics.drift.inc({ direction: 'unknown-bucket' });
    return;
  }
  metrics.drift.inc({ direction: drift > 0 ? 'over' : drift < 0 ? 'under' : 'none' });
  metrics.driftUnits.inc(Math.abs(drift));
  metrics.lastDrift.set(drift);
}
