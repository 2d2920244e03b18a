import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { OUTBOX_CHANNEL } from '../writer/outbox-writer.js';
import { Relay } from './relay.js';

const LISTEN_RECONNECT_MS = 2000;

/**
 * The `relay` role: drains the outbox whenever a NOTIFY arrives, and every poll interval as the
 * safety net for missed notifications or a lost LISTEN connection.
 */
@Injectable()
export class RelayLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RelayLoop.name);
  private listener?: pg.Client;
  private pollTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly relay: Relay,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.roles.has('relay')) return;
    await this.listen();
    this.pollTimer = setInterval(() => this.wake(), this.config.outbox.relayPollIntervalMs);
    this.wake();
  }

  /** Asks for a drain; a drain already running is asked to go round once more. */
  wake(): void {
    if (this.stopped) return;
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

  private async drain(): Promise<void> {
    try {
      // Batches are capped per priority class, so a short batch does not mean the outbox is empty.
      while (!this.stopped && (await this.relay.relayBatch()) > 0);
    } catch (error) {
      // Redis or Postgres unavailable: the rows stay in the outbox and the next poll retries.
      this.logger.warn(`relay batch failed: ${(error as Error).message}`);
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'debts-hub-relay' });
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
    await this.running;
    await this.listener?.end();
  }
}
