import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { CriticalFirst } from '../delivery/critical-first.js';
import { LaneQueues } from '../delivery/lane-queues.js';
import { OUTBOX_CHANNEL, RelaySignal } from './relay-signal.js';
import { Relay } from './relay.js';

const LISTEN_RECONNECT_MS = 2000;
const BULK_BACKLOG_RECHECK_MS = 50;

/** One drain loop: claims batches of one scope until none is left; a wake-up during a drain asks for one more round. */
class Drain {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly step: () => Promise<number>,
    private readonly onError: (error: Error) => void,
    private readonly isStopped: () => boolean,
  ) {}

  wake(): void {
    if (this.isStopped()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.isStopped() && (await this.step()) > 0);
    } catch (error) {
      // Redis or Postgres unavailable: the rows stay in the outbox and the next poll retries.
      this.onError(error as Error);
    }
  }
}

/**
 * The `relay` role: drains the outbox after every appending commit of this process
 * ({@link RelaySignal}), whenever a NOTIFY from another process arrives, and every poll interval as
 * the safety net for missed wake-ups or a lost LISTEN connection. Urgent rows (critical and default
 * subscribers) and bulk-only rows are drained by two independent loops, so an urgent row never
 * waits for a bulk batch in flight; between bulk batches the bulk loop yields while critical
 * deliveries are in flight ({@link CriticalFirst}). While Redis is unreachable neither loop claims
 * anything: the rows wait in the outbox and the first poll after Redis is back relays them.
 */
@Injectable()
export class RelayLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RelayLoop.name);
  private listener?: pg.Client;
  private pollTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly drains: Drain[];

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly relay: Relay,
    private readonly signal: RelaySignal,
    private readonly criticalFirst: CriticalFirst,
    private readonly queues: LaneQueues,
  ) {
    const onError = (error: Error) => this.logger.warn(`relay batch failed: ${error.message}`);
    const stopped = () => this.stopped;
    this.drains = [
      new Drain(async () => (this.queues.connected() ? this.relay.relayBatch('urgent') : 0), onError, stopped),
      new Drain(
        async () => {
          if (!this.queues.connected()) return 0;
          await this.waitForBulkRoom();
          await this.criticalFirst.yieldToCritical();
          return this.relay.relayBatch('bulk');
        },
        onError,
        stopped,
      ),
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.roles.has('relay')) return;
    this.signal.onCommit(() => this.wake());
    await this.listen();
    this.pollTimer = setInterval(() => this.wake(), this.config.relayPollIntervalMs);
    this.wake();
  }

  /**
   * Backpressure for bulk: while the bulk queue already holds `OUTBOX_RELAY_BULK_BACKLOG_MAX` waiting
   * jobs, bulk rows stay in the outbox (durable, claimable by any relay) instead of piling up in
   * Redis, so relaying a flood is spread over the time its handlers take rather than done in one
   * burst of CPU that critical deliveries would have to share.
   */
  private async waitForBulkRoom(): Promise<void> {
    const max = this.config.relayBulkBacklogMax;
    if (max === 0) return;
    const bulk = this.queues.queue('bulk');
    while (!this.stopped && (await bulk.getWaitingCount()) >= max) await delay(BULK_BACKLOG_RECHECK_MS);
  }

  /** Asks both drains for a round; a drain already running is asked to go round once more. */
  wake(): void {
    for (const drain of this.drains) drain.wake();
  }

  private async listen(): Promise<void> {
    // LISTEN needs a session of its own: through a transaction pooler it would hear nothing.
    const client = new pg.Client({
      connectionString: this.config.databaseDirectUrl ?? this.config.databaseUrl,
      application_name: 'debts-hub-relay',
    });
    client.on('notification', () => this.wake());
    client.on('error', (error) => {
      this.logger.warn(`LISTEN connection lost (${error.message}); polling until it is back`);
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.logger.warn(`LISTEN failed (${(error as Error).message}); polling until it works`);
      this.reconnectLater(client);
    }
  }

  private reconnectLater(client: pg.Client): void {
    if (this.listener === client) this.listener = undefined;
    client.end().catch(() => undefined);
    if (!this.stopped) setTimeout(() => void this.listen(), LISTEN_RECONNECT_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    await Promise.all(this.drains.map((drain) => drain.idle()));
    await this.listener?.end();
  }
}
