import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';

const RECHECK_MS = 2;
/** Size of the in-flight map at which a commit first drops the expired entries. */
const PRUNE_AT = 1024;

/**
 * Strict priority for critical work inside one process (docs/adr/0016-outbox-throughput-and-lane-isolation.md).
 * Critical events committed by this process are "in flight" until a critical delivery of theirs
 * finishes here, or `OUTBOX_CRITICAL_HOLD_MS` passes (they may be handled by another process).
 * While any is in flight, bulk work (the relay's bulk batches and the bulk lane's handlers) waits
 * before starting its next unit, for at most `OUTBOX_BULK_YIELD_MAX_MS` each time, so bulk slows
 * down under critical traffic but is never starved. Work already running is not interrupted.
 */
@Injectable()
export class CriticalFirst {
  private readonly inFlight = new Map<string, number>();
  private readonly holdMs: number;
  private readonly yieldMaxMs: number;

  constructor(@Inject(OUTBOX_OPTIONS) config: OutboxOptions) {
    this.holdMs = config.criticalHoldMs;
    this.yieldMaxMs = config.bulkYieldMaxMs;
  }

  /** Critical events were committed by this process. */
  committed(eventIds: readonly string[]): void {
    const now = Date.now();
    // In a process whose critical events are handled elsewhere nothing else prunes: keep it bounded.
    if (this.inFlight.size >= PRUNE_AT) this.pruneExpired(now);
    const expiresAt = now + this.holdMs;
    for (const id of eventIds) this.inFlight.set(id, expiresAt);
  }

  /** A critical delivery of `eventId` finished in this process (handled, duplicate or failed). */
  finished(eventId: string): void {
    this.inFlight.delete(eventId);
  }

  /** Whether critical work is in flight in this process. */
  busy(): boolean {
    if (this.inFlight.size === 0) return false;
    this.pruneExpired(Date.now());
    return this.inFlight.size > 0;
  }

  /** How many critical events count as in flight (for tests and diagnostics). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private pruneExpired(now: number): void {
    for (const [id, expiresAt] of this.inFlight) if (expiresAt <= now) this.inFlight.delete(id);
  }

  /** Waits while critical work is in flight, for at most the bulk yield bound. */
  async yieldToCritical(): Promise<void> {
    if (this.yieldMaxMs === 0 || !this.busy()) return;
    const deadline = Date.now() + this.yieldMaxMs;
    while (this.busy() && Date.now() < deadline) await delay(RECHECK_MS);
  }
}
