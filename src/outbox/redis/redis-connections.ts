import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';

const READY_TIMEOUT_MS = 10_000;
/** Producers fail fast: a command while Redis is away errors at once instead of queueing. */
const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

/** Thrown at start when Redis may evict keys, which silently drops queued jobs. */
export class RedisEvictionPolicyError extends Error {}

/**
 * Owns every Redis connection of the process, configured as BullMQ's production guide says:
 * producers fail fast (`enableOfflineQueue: false`) so a Redis outage leaves outbox rows pending
 * instead of hanging callers; blocking worker connections retry forever (`maxRetriesPerRequest: null`).
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  private readonly opened: Redis[] = [];
  private sharedProducer?: Redis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const producer = this.producer();
    if (producer.status !== 'ready') {
      await Promise.race([
        once(producer, 'ready'),
        delay(READY_TIMEOUT_MS).then(() => {
          throw new Error(`Redis did not answer within ${READY_TIMEOUT_MS} ms at start`);
        }),
      ]);
    }
    await this.assertNoEviction();
  }

  /** The shared fail-fast connection for enqueueing, health checks and rate limits. */
  producer(): Redis {
    this.sharedProducer ??= this.dedicatedProducer();
    return this.sharedProducer;
  }

  /**
   * A fail-fast producer connection of its own, for a lane queue: one lane's large `addBulk` is
   * then never queued ahead of another lane's enqueue on the same socket.
   */
  dedicatedProducer(): Redis {
    return this.open(FAIL_FAST);
  }

  /** A fail-fast connection whose keys all carry `keyPrefix` (kept inside the app's prefix). */
  prefixedProducer(keyPrefix: string): Redis {
    return this.open({ ...FAIL_FAST, keyPrefix: `${this.config.queuePrefix}:${keyPrefix}:` });
  }

  /** A connection for blocking worker commands: it never gives up on a command while Redis restarts. */
  worker(): Redis {
    return this.open({ maxRetriesPerRequest: null });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.opened.map((connection) => connection.quit()));
    this.opened.length = 0;
  }

  private open(options: RedisOptions): Redis {
    const connection = new Redis(this.config.redisUrl, {
      connectionName: 'debts-hub',
      // Auto-pipelining slows BullMQ workers on loopback (PITFALLS.md).
      enableAutoPipelining: false,
      ...options,
    });
    // Without a listener ioredis reports every reconnect attempt as an unhandled error.
    connection.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.opened.push(connection);
    return connection;
  }

  /** Queue keys evicted under memory pressure are lost jobs: require `noeviction` (SPEC.md, safety). */
  private async assertNoEviction(): Promise<void> {
    const info = await this.producer().info('memory');
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
    if (policy === 'noeviction') return;
    const message = `Redis maxmemory-policy is "${policy}"; it must be "noeviction" or queued jobs can be silently evicted`;
    if (!this.config.redisAllowEviction) {
      throw new RedisEvictionPolicyError(`${message} (set REDIS_ALLOW_EVICTION=true to only warn, for local use)`);
    }
    this.logger.warn(`!!! ${message}. Continuing because REDIS_ALLOW_EVICTION=true: do not do this in production.`);
  }
}
