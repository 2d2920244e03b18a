import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { type Envelope, type Lane, LANES } from '../catalogue/event-contract.js';
import type { Subscription } from '../catalogue/subscription.js';
import { RedisConnections } from '../redis/redis-connections.js';

/** What a delivery job carries: the whole envelope, so workers need no read to start. */
export interface DeliveryJobData {
  subscriber: string;
  envelope: Envelope;
}

/** One delivery to enqueue. */
export interface DeliveryToEnqueue {
  subscription: Subscription;
  envelope: Envelope;
  jobId: string;
}

const COMPLETED_RETENTION_S = 3600;
const FAILED_RETENTION_S = 7 * 24 * 3600;

/** The job id of a first delivery: derived from event and subscriber, with no ":". */
export function deliveryJobId(eventId: string, subscriber: string): string {
  return `${eventId}-${subscriber}`;
}

/**
 * The BullMQ queues, one per lane, under a Cluster-compatible `{prefix}` hash tag, each on its own
 * producer connection so a bulk `addBulk` never delays a critical enqueue. Completed and failed
 * jobs are removed by age: the delivery ledger in Postgres is the lasting record.
 */
@Injectable()
export class LaneQueues implements OnModuleInit, OnApplicationShutdown {
  readonly prefix: string;
  private readonly logger = new Logger(LaneQueues.name);
  private readonly queues: Map<Lane, Queue<DeliveryJobData>>;
  private readonly connections: Redis[] = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig, redis: RedisConnections) {
    this.prefix = `{${config.queuePrefix}}`;
    this.queues = new Map(
      LANES.map((lane) => {
        const connection = redis.dedicatedProducer();
        this.connections.push(connection);
        const queue = new Queue<DeliveryJobData>(lane, { connection, prefix: this.prefix });
        // Without a listener BullMQ prints each connection error's stack to stderr, outside the JSON
        // logs; RedisConnections already logs them once per connection.
        queue.on('error', (error) => this.logger.debug(`queue ${lane}: ${error.message}`));
        return [lane, queue];
      }),
    );
  }

  /**
   * Whether every lane's connection to Redis is up. While it is not, the relay leaves rows in the
   * outbox rather than claiming deliveries it could not enqueue, which only the sweeper would
   * re-drive, after `OUTBOX_SWEEP_AFTER_MS` (docs/adr/0020-redis-off-the-accepting-path.md).
   */
  connected(): boolean {
    return this.connections.every((connection) => connection.status === 'ready');
  }

  async onModuleInit(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.waitUntilReady()));
  }

  queue(lane: Lane): Queue<DeliveryJobData> {
    return this.queues.get(lane)!;
  }

  all(): Queue<DeliveryJobData>[] {
    return [...this.queues.values()];
  }

  /** Adds the deliveries with `addBulk`, one call per lane; an existing job id is left as it is. */
  async enqueue(deliveries: readonly DeliveryToEnqueue[]): Promise<void> {
    const byLane = new Map<Lane, DeliveryToEnqueue[]>();
    for (const delivery of deliveries) {
      const list = byLane.get(delivery.subscription.lane) ?? [];
      list.push(delivery);
      byLane.set(delivery.subscription.lane, list);
    }
    await Promise.all(
      [...byLane].map(([lane, list]) =>
        this.queue(lane).addBulk(
          list.map((d) => ({
            name: d.subscription.name,
            data: { subscriber: d.subscription.name, envelope: d.envelope },
            opts: jobOptions(d.subscription, d.jobId),
          })),
        ),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}

function jobOptions(subscription: Subscription, jobId: string): JobsOptions {
  const { attempts, backoffMs, jitter } = subscription.retry;
  return {
    jobId,
    attempts,
    backoff: { type: 'exponential', delay: backoffMs, jitter },
    removeOnComplete: { age: COMPLETED_RETENTION_S },
    removeOnFail: { age: FAILED_RETENTION_S },
  };
}
