import { Injectable } from '@nestjs/common';
import { IsInt, IsString, Length, Min } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import { eventCatalogue } from '../../src/event-catalogue.js';
import {
  defineEvent,
  type EventContract,
  type Subscription,
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  OutboxWriter,
  subscribe,
} from '../../src/outbox/index.js';
import { EventCatalogue } from '../../src/outbox/host.js';
import { pace } from './pace.js';

export class ThingPayload {
  @IsString()
  @Length(1, 64)
  key!: string;

  @IsInt()
  @Min(0)
  n!: number;
}

/** A test event; its aggregate is a "thing". */
export const ThingHappened = defineEvent({
  type: 'testing.thing-happened',
  version: 1,
  owner: 'testing',
  aggregateType: 'thing',
  description: 'test event',
  payload: ThingPayload,
});

/** An event of the bulk lane, for lane isolation tests. */
export const ThingObserved = defineEvent({
  type: 'testing.thing-observed',
  version: 1,
  owner: 'testing',
  aggregateType: 'thing',
  description: 'test bulk event',
  payload: ThingPayload,
});

/** A failure the subscription lists as non-retryable. */
export class ThingRejectedError extends Error {}

/**
 * What the recording handlers do on each call, switchable by tests: fail the next N calls,
 * fail with a given error, slow down, or wait inside the transaction until `hold` resolves.
 */
export class Faults {
  failuresLeft = 0;
  error: () => Error = () => new Error('transient failure');
  delayMs = 0;
  hold: Promise<void> | undefined;
  calls = 0;

  reset(): void {
    this.failuresLeft = 0;
    this.error = () => new Error('transient failure');
    this.delayMs = 0;
    this.hold = undefined;
    this.calls = 0;
  }
}

export const faults = {
  recorder: new Faults(),
  filtered: new Faults(),
  ordered: new Faults(),
  bulk: new Faults(),
};

export const recorderSubscription = subscribe(ThingHappened, {
  name: 'testing.recorder',
  module: 'testing',
  lane: 'critical',
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
  nonRetryable: [ThingRejectedError],
});

export const orderedSubscription = subscribe(ThingHappened, {
  name: 'testing.ordered-recorder',
  module: 'testing',
  lane: 'default',
  ordered: true,
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
});

export const bulkSubscription = subscribe(ThingObserved, {
  name: 'testing.bulk-recorder',
  module: 'testing',
  lane: 'bulk',
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
  groupCommit: true,
});

/** A recorder of only the things whose key is `wanted` (a filtered subscription). */
export const filteredSubscription = subscribe(ThingHappened, {
  name: 'testing.filtered-recorder',
  module: 'testing',
  lane: 'critical',
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
  filter: { key: 'wanted' },
});

/** Records every call in test_effect — not idempotent on purpose, so a double effect shows as two rows. */
async function record(tx: EntityManager, subscriber: string, event: Envelope<ThingPayload>, f: Faults): Promise<void> {
  f.calls += 1;
  if (f.delayMs > 0) await pace(f.delayMs); // a handler slow on purpose (Faults.delayMs)
  if (f.hold) await f.hold;
  if (f.failuresLeft > 0) {
    f.failuresLeft -= 1;
    throw f.error();
  }
  await tx.query(`INSERT INTO test_effect (subscriber, event_id, aggregate_id, seq, n) VALUES ($1, $2, $3, $4, $5)`, [
    subscriber,
    event.id,
    event.aggregateId,
    event.aggregateSeq,
    event.payload.n,
  ]);
}

@Injectable()
@HandlesEvents(recorderSubscription)
export class RecorderHandler implements EventHandler<ThingPayload> {
  handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    return record(tx, recorderSubscription.name, event, faults.recorder);
  }
}

@Injectable()
@HandlesEvents(orderedSubscription)
export class OrderedHandler implements EventHandler<ThingPayload> {
  handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    return record(tx, orderedSubscription.name, event, faults.ordered);
  }
}

@Injectable()
@HandlesEvents(bulkSubscription)
export class BulkHandler implements EventHandler<ThingPayload> {
  handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    return record(tx, bulkSubscription.name, event, faults.bulk);
  }
}

@Injectable()
@HandlesEvents(filteredSubscription)
export class FilteredHandler implements EventHandler<ThingPayload> {
  handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    return record(tx, filteredSubscription.name, event, faults.filtered);
  }
}

export { NonRetryableError };

/**
 * The app's own catalogue plus test contracts and subscriptions: the modules' handlers are part of
 * every app, so a test catalogue extends the real one rather than replacing it.
 */
export function withAppCatalogue(contracts: EventContract[], subscriptions: Subscription[]): EventCatalogue {
  return new EventCatalogue(
    [...eventCatalogue.allContracts(), ...contracts],
    [...eventCatalogue.allSubscriptions(), ...subscriptions],
  );
}

/** The test catalogue and its handlers, for `startTestApp({ catalogue, providers })`. */
export function outboxTestSetup(subscriptions = [recorderSubscription, orderedSubscription, bulkSubscription]) {
  const handlers = new Map<string, unknown>([
    [recorderSubscription.name, RecorderHandler],
    [orderedSubscription.name, OrderedHandler],
    [bulkSubscription.name, BulkHandler],
    [filteredSubscription.name, FilteredHandler],
  ]);
  return {
    catalogue: withAppCatalogue([ThingHappened, ThingObserved], subscriptions),
    providers: subscriptions.map((s) => handlers.get(s.name) as new () => unknown),
  };
}

/** Creates the effect table the recording handlers write to. */
export async function createEffectTable(dataSource: DataSource): Promise<void> {
  await dataSource.query(`
    CREATE TABLE test_effect (
      order_no bigserial PRIMARY KEY,
      subscriber text NOT NULL,
      event_id uuid NOT NULL,
      aggregate_id text NOT NULL,
      seq bigint NOT NULL,
      n integer NOT NULL
    )`);
}

/** Appends `count` events of `aggregateId` in one transaction per call. */
export async function appendThings(
  dataSource: DataSource,
  writer: OutboxWriter,
  count: number,
  { aggregateId = 'thing-1', contract = ThingHappened, startN = 0 } = {},
): Promise<Envelope[]> {
  return dataSource.transaction((tx) =>
    writer.append(
      tx,
      Array.from({ length: count }, (_, i) => ({
        contract,
        aggregateId,
        payload: { key: `k${startN + i}`, n: startN + i },
      })),
    ),
  );
}

/** Effect counts: total rows, and distinct (subscriber, event) pairs. */
export async function effectCounts(
  dataSource: DataSource,
  subscriber: string,
): Promise<{ rows: number; distinct: number }> {
  const [row] = await dataSource.query(
    `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct FROM test_effect WHERE subscriber = $1`,
    [subscriber],
  );
  return row;
}
