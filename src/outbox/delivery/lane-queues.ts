import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type JobsOptions, type Queue } from 'bullmq';
import { type Envelope, type Lane, LANES } from '../catalogue/event-contract.js';
import type { Subscription } from '../catalogue/subscription.js';
import { withinDeadline } from '../redis/bounded.js';
import { QueueBackend } from '../redis/redis-connections.js';

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
 * The BullMQ queues, one per lane, on the configured backend (ADR 0035). On Redis they sit under a
 * `{prefix}` hash tag, on a Redis Cluster under one hash tag per lane (`{prefix:lane}`, ADR 0040),
 * each on its own producer connection so a bulk `addBulk` never delays a critical enqueue. Completed and failed jobs are removed by age: the delivery
 * ledger in Postgres is the lasting record.
 */
@Injectable()
export class LaneQueues implements OnModuleInit, OnApplicationShutdown {
  readonly prefix: string;
  private readonly logger = new Logger(LaneQueues.name);
  private readonly queues: Map<Lane, Queue<DeliveryJobData>>;

  constructor(private readonly backend: QueueBackend) {
    this.prefix = backend.prefix;
    this.queues = new Map(
      LANES.map((lane) => {
        const queue = backend.queue<DeliveryJobData>(lane, { dedicated: true });
        // Without a listener BullMQ prints each connection error's stack to stderr, outside the JSON
        // logs; RedisConnections already logs them once per connection.
        queue.on('error', (error) => this.logger.debug(`queue ${lane}: ${error.message}`));
        return [lane, queue];
      }),
    );
  }

  /**
   * Whether every lane's queue can take jobs (on Redis: its connection is up). While it is not, the relay leaves rows in the
   * outbox rather than claiming deliveries it could not enqueue, which only the sweeper would
   * re-drive, after `OUTBOX_SWEEP_AFTER_MS` (docs/adr/0020-redis-off-the-accepting-path.md).
   */
  connected(): boolean {
    return this.all().every((queue) => this.backend.connected(queue));
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

  /**
   * Adds the deliveries with `addBulk`, one call per lane (on a Cluster, one slot each); an existing
   * job id is left as it is. Fails if the queues have not answered within the deadline
   * ({@link withinDeadline}): the relay and the sweeper wait on this call.
   */
  async enqueue(deliveries: readonly DeliveryToEnqueue[]): Promise<void> {
    const byLane = new Map<Lane, DeliveryToEnqueue[]>();
    for (const delivery of deliveries) {
      const list = byLane.get(delivery.subscription.lane) ?? [];
      list.push(delivery);
      byLane.set(delivery.subscription.lane, list);
    }
    const adding = Promise.all(
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
    await withinDeadline(adding, `enqueue of ${deliveries.length} deliveries`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map((queue) => this.backend.close(queue)));
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
