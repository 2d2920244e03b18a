import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';

/** What a storage answers for one hit (the package does not export the type by name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** How the fallback behaves; see {@link FailoverThrottlerStorage}. */
export interface FailoverOptions {
  /** A shared count that has not answered within this long is given up for the local one. */
  timeoutMs: number;
  /** While on the local count, the shared one is tried again (in the background) this often. */
  retryAfterMs: number;
  /** The clock the retry is timed by (tests pass their own). */
  now?: () => number;
}

/**
 * Counts in this process. It keys each budget by key and throttler name, as the Redis storage
 * does: the package's in-memory storage blocks a key for every throttler once one of them is
 * exceeded, so a client out of its `default` budget would also lose its `webhook` one (ADR 0020).
 * Used alone on the PostgreSQL queue backend, which has no Redis (ADR 0035).
 */
export class PerProcessThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly counts = new ThrottlerStorageService();

  /** Budgets (key and throttler) with hits in the current window. */
  get size(): number {
    return this.counts.storage.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.counts.increment(`{${key}:${throttlerName}}`, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.counts.onApplicationShutdown();
  }
}

class SharedStorageTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/**
 * Counts in the shared storage (Redis) and falls back to a per-process count when it errors or does
 * not answer within `timeoutMs`, so a Redis outage never fails or delays a request beyond that
 * (docs/adr/0020-redis-off-the-accepting-path.md). The switch is a circuit: while it is open every
 * request counts locally and touches no socket; every `retryAfterMs` one request's hit is also sent
 * to Redis in the background, and the first one that succeeds closes the circuit. One warning per
 * outage, one log line when Redis is back.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new PerProcessThrottlerStorage();
  /** When the circuit is open: the earliest time the shared storage is tried again. */
  private retryAt: number | undefined;
  private probing = false;
  private readonly now: () => number;

  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly options: FailoverOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Whether counts are currently kept in this process only. */
  get fallenBack(): boolean {
    return this.retryAt !== undefined;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.retryAt !== undefined) {
      if (!this.probing && this.now() >= this.retryAt) this.probe(key, ttl, limit, blockDuration, throttlerName);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    try {
      return await this.sharedIncrement(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.open(error as Error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }

  /** Sends one hit to the shared storage without waiting for it; success closes the circuit. */
  private probe(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): void {
    this.probing = true;
    this.sharedIncrement(key, ttl, limit, blockDuration, throttlerName)
      .then(
        () => {
          this.retryAt = undefined;
          this.logger.log('Redis answers again: rate limits are shared across instances again');
        },
        () => {
          this.retryAt = this.now() + this.options.retryAfterMs;
        },
      )
      .finally(() => (this.probing = false));
  }

  private open(error: Error): void {
    // Concurrent requests may all fail on the same outage: only the first one reports it.
    if (this.retryAt !== undefined) return;
    this.retryAt = this.now() + this.options.retryAfterMs;
    this.logger.warn(
      `Redis did not count a request (${error.message}): rate limits fall back to per-process counts ` +
        `until it answers again (retried every ${this.options.retryAfterMs} ms)`,
    );
  }

  private sharedIncrement(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const { timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SharedStorageTimeout(timeoutMs)), timeoutMs);
    });
    const counted = this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
    // A frozen Redis may answer long after the timeout won, or fail then: neither must go unhandled.
    counted.catch(() => undefined);
    return Promise.race([counted, timeout]).finally(() => clearTimeout(timer));
  }
}
