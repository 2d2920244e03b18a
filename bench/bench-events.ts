/**
 * The benchmark's own events, subscriptions and handlers, plus the clock that timestamps the
 * moment a handler's transaction (inbox row + write) commits.
 */
import { Injectable } from '@nestjs/common';
import { IsInt, IsString, Length, Min } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import {
  afterCommit,
  defineEvent,
  type Envelope,
  type EventHandler,
  HandlesEvents,
  subscribe,
} from '../src/outbox/index.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with PostgreSQL's clock. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export class OrderPayload {
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @IsInt()
  @Min(0)
  amount!: number;
}

/** (b) The business event of the pipeline: one per business transaction. */
export const BenchOrderPlaced = defineEvent({
  type: 'bench.order-placed',
  version: 1,
  owner: 'bench',
  aggregateType: 'bench-order',
  description: 'benchmark business event (pipeline)',
  payload: OrderPayload,
});

/** (d) The critical trickle. */
export const BenchAlertRaised = defineEvent({
  type: 'bench.alert-raised',
  version: 1,
  owner: 'bench',
  aggregateType: 'bench-alert',
  description: 'benchmark critical-lane event',
  payload: OrderPayload,
});

const RETRY = { attempts: 3, backoffMs: 100, jitter: 0.5 };

/**
 * One subscriber doing an idempotent write, in the `default` lane. Its handler is a single write
 * that does not need a transaction of its own, so it opts into group commit.
 */
export const projectorSubscription = subscribe(BenchOrderPlaced, {
  name: 'bench.order-projector',
  module: 'bench',
  lane: 'default',
  retry: RETRY,
  groupCommit: process.env.BENCH_GROUP_COMMIT !== 'false',
});

/** The critical-lane subscriber timed under flood. */
export const alertSubscription = subscribe(BenchAlertRaised, {
  name: 'bench.alert-recorder',
  module: 'bench',
  lane: 'critical',
  retry: RETRY,
});

/** Records when each key became handled: right after its handler's transaction has committed. */
export class HandledClock {
  readonly at = new Map<string, number>();
  private waiter?: { count: number; resolve: () => void };
  /** Bumped by `reset`: a transaction of an earlier phase that commits late is not counted. */
  private phase = 0;

  /** Called inside a handler: `key` counts as handled once this transaction commits. */
  onCommit(tx: EntityManager, key: string): void {
    const phase = this.phase;
    afterCommit(tx, () => {
      if (phase === this.phase) this.mark(key);
    });
  }

  /** Marks `key` handled now (the first time only: a redelivery does not move the stamp). */
  mark(key: string): void {
    if (this.at.has(key)) return;
    this.at.set(key, wallNow());
    if (this.waiter && this.at.size >= this.waiter.count) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  /** Resolves once `count` keys are handled; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.at.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.at.size}/${count} handled after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  reset(): void {
    this.at.clear();
    this.phase += 1;
    this.waiter = undefined;
  }
}

export const handledClock = new HandledClock();

/** The idempotent write both the pipeline and the dual-write baseline perform. */
export const PROJECTION_UPSERT = `INSERT INTO bench_projection (event_id, order_id, amount) VALUES ($1, $2, $3)
  ON CONFLICT (event_id) DO NOTHING`;

@Injectable()
@HandlesEvents(projectorSubscription)
export class OrderProjector implements EventHandler<OrderPayload> {
  async handle(event: Envelope<OrderPayload>, tx: EntityManager): Promise<void> {
    await tx.query(PROJECTION_UPSERT, [event.id, event.payload.orderId, event.payload.amount]);
    handledClock.onCommit(tx, event.payload.orderId);
  }
}

@Injectable()
@HandlesEvents(alertSubscription)
export class AlertRecorder implements EventHandler<OrderPayload> {
  async handle(event: Envelope<OrderPayload>, tx: EntityManager): Promise<void> {
    await tx.query(PROJECTION_UPSERT, [event.id, event.payload.orderId, event.payload.amount]);
    handledClock.onCommit(tx, event.payload.orderId);
  }
}

/** Business and projection tables of the benchmark. */
export async function createBenchTables(dataSource: DataSource): Promise<void> {
  await dataSource.query(`
    CREATE TABLE bench_order (
      id text PRIMARY KEY,
      producer integer NOT NULL,
      amount integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await dataSource.query(`
    CREATE TABLE bench_projection (
      event_id uuid PRIMARY KEY,
      order_id text NOT NULL,
      amount integer NOT NULL
    )`);
  await dataSource.query(
    `CREATE TABLE bench_raw (id bigserial PRIMARY KEY, producer integer NOT NULL, n integer NOT NULL)`,
  );
}
