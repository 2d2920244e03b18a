import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { createPostgresBackend, Queue, type QueueOptions, runMigrations, Worker, type WorkerOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions, type OutboxQueueBackend } from '../outbox-options.js';
import { sessionPool } from '../sql/session-pool.js';
import { CLOSE_DEADLINE_MS, closeWithin } from './bounded.js';

const READY_TIMEOUT_MS = 10_000;
/**
 * Producers fail fast: a command while Redis is away errors at once instead of queueing, and one
 * sent to a Redis that stopped answering (frozen, a Cluster node half gone) errors after
 * {@link PRODUCER_COMMAND_TIMEOUT_MS} instead of never. The sweeper calls Redis while it holds row
 * locks on deliveries, and the relay and the scheduled tasks wait for their calls: none may wait
 * forever. What a timed-out command did is harmless: job ids are deterministic, so it is retried.
 */
const PRODUCER_COMMAND_TIMEOUT_MS = 10_000;
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
};
/** Slots of a Redis Cluster: all covered, or some keys have no master. */
const CLUSTER_SLOTS = 16_384;

/** A connection to a single Redis (standalone or Sentinel's master) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** How Redis is deployed: `REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS` (ADR 0040). */
export type RedisTopology = 'standalone' | 'cluster' | 'sentinel';

/** What the readiness check shows about Redis's topology (docs/adr/0040-redis-cluster-and-sentinel.md). */
export type RedisTopologyReport =
  | { topology: 'standalone' }
  | { topology: 'sentinel'; master: string }
  | { topology: 'cluster'; state: string; slotsCovered: number; masters: number };

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
  private readonly opened: RedisClient[] = [];
  private sharedProducer?: RedisClient;
  readonly topology: RedisTopology;

  constructor(@Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions) {
    this.topology = config.redisClusterNodes ? 'cluster' : config.redisSentinel ? 'sentinel' : 'standalone';
  }

  /** Whether this process uses Redis at all (`QUEUE_BACKEND=redis`). */
  get enabled(): boolean {
    return this.config.queueBackend === 'redis';
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
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
  producer(): RedisClient {
    this.sharedProducer ??= this.dedicatedProducer();
    return this.sharedProducer;
  }

  /**
   * A fail-fast producer connection of its own, for a lane queue: one lane's large `addBulk` is
   * then never queued ahead of another lane's enqueue on the same socket.
   */
  dedicatedProducer(): RedisClient {
    return this.open(FAIL_FAST);
  }

  /**
   * A fail-fast connection whose keys all carry `keyPrefix` (kept inside the app's prefix). On a
   * Cluster the prefix is a hash tag: a script may then touch several of its keys at once (one slot).
   */
  prefixedProducer(keyPrefix: string): RedisClient {
    const prefix = `${this.config.queuePrefix}:${keyPrefix}`;
    return this.open({ ...FAIL_FAST, keyPrefix: this.topology === 'cluster' ? `{${prefix}}:` : `${prefix}:` });
  }

  /** A connection for blocking worker commands: it never gives up on a command while Redis restarts. */
  worker(): RedisClient {
    return this.open({ maxRetriesPerRequest: null });
  }

  /**
   * The topology and its state, for the readiness check: on a Cluster the slots its masters cover
   * (throws while some slot has no master); on Sentinel the master the connection is on now.
   */
  async topologyReport(): Promise<RedisTopologyReport> {
    const producer = this.producer();
    if (producer instanceof Cluster) {
      const info = await producer.cluster('INFO');
      const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '';
      const report = {
        topology: 'cluster' as const,
        state: field('cluster_state'),
        slotsCovered: Number(field('cluster_slots_ok')),
        masters: Number(field('cluster_size')),
      };
      if (report.state !== 'ok' || report.slotsCovered < CLUSTER_SLOTS) {
        throw new Error(
          `Redis Cluster is ${report.state}: ${report.slotsCovered} of ${CLUSTER_SLOTS} slots covered by ${report.masters} masters`,
        );
      }
      return report;
    }
    await producer.ping();
    if (this.topology === 'sentinel') {
      return { topology: 'sentinel', master: `${producer.stream.remoteAddress}:${producer.stream.remotePort}` };
    }
    return { topology: 'standalone' };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.opened].map((connection) => this.close(connection)));
  }

  /** Closes a connection opened here (gracefully, else cut after {@link CLOSE_DEADLINE_MS}). */
  async close(connection: RedisClient): Promise<void> {
    const index = this.opened.indexOf(connection);
    if (index < 0) return;
    this.opened.splice(index, 1);
    await closeWithin(
      { close: () => connection.quit(), disconnect: () => connection.disconnect() },
      'redis connection',
      CLOSE_DEADLINE_MS,
      this.logger,
    );
  }

  private open(options: RedisOptions): RedisClient {
    if (!this.enabled) throw new Error(`QUEUE_BACKEND is "${this.config.queueBackend}": no Redis connection is opened`);
    const common: RedisOptions = {
      connectionName: 'debts-hub',
      // Auto-pipelining slows BullMQ workers on loopback (PITFALLS.md).
      enableAutoPipelining: false,
      ...options,
    };
    const { redisClusterNodes: nodes, redisSentinel: sentinel } = this.config;
    let connection: RedisClient;
    if (nodes) {
      // A Cluster takes the offline queue, the key prefix and pipelining for itself; each node's
      // connection gets the rest (a worker's `maxRetriesPerRequest: null` included).
      const { enableOfflineQueue, keyPrefix, enableAutoPipelining, ...perNode } = common;
      connection = new Cluster(nodes, {
        enableOfflineQueue,
        keyPrefix,
        enableAutoPipelining,
        redisOptions: perNode,
      });
    } else if (sentinel) {
      // A connection left on a demoted master (its socket survived the failover) gets READONLY on
      // its first write: reconnecting asks the sentinels again. ioredis's `failoverDetector` is left
      // off: it opens a subscription to every sentinel per connection (ioredis#1362, off by default).
      connection = new Redis({
        ...common,
        sentinels: sentinel.sentinels,
        name: sentinel.name,
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
      });
    } else {
      connection = new Redis(this.config.redisUrl, common);
    }
    // Without a listener ioredis reports every reconnect attempt as an unhandled error.
    connection.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.opened.push(connection);
    return connection;
  }

  /**
   * Queue keys evicted under memory pressure are lost jobs: require `noeviction` (SPEC.md, safety),
   * on every master of a Cluster (each holds some queues) or on Sentinel's current master.
   */
  private async assertNoEviction(): Promise<void> {
    const producer = this.producer();
    const masters = producer instanceof Cluster ? producer.nodes('master') : [producer];
    if (masters.length === 0) throw new Error('Redis Cluster reports no master');
    for (const master of masters) {
      const info = await master.info('memory');
      const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
      if (policy === 'noeviction') continue;
      const where = masters.length > 1 ? ` on ${master.options.host}:${master.options.port}` : '';
      const message = `Redis maxmemory-policy is "${policy}"${where}; it must be "noeviction" or queued jobs can be silently evicted`;
      if (!this.config.redisAllowEviction) {
        throw new RedisEvictionPolicyError(`${message} (set REDIS_ALLOW_EVICTION=true to only warn, for local use)`);
      }
      this.logger.warn(`!!! ${message}. Continuing because REDIS_ALLOW_EVICTION=true: do not do this in production.`);
    }
  }
}

/**
 * The schema BullMQ's PostgreSQL backend keeps its tables and functions in, inside the app's
 * database. BullMQ reads it from a pool it did not build only as its default schema, so it is fixed.
 */
export const QUEUE_SCHEMA = 'bullmq';
/** Connections a worker keeps checked out of the queue pool for `LISTEN` (one per lane + maintenance). */
const LISTEN_CONNECTIONS = 4;

type Processor<T> = ConstructorParameters<typeof Worker<T>>[1];
type BackendWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * Where the app's BullMQ queues live (`QUEUE_BACKEND`, docs/adr/0035-queue-backend-abstraction.md):
 * Redis, through {@link RedisConnections}, or PostgreSQL, through BullMQ's PostgreSQL backend on one
 * pool of its own in the app's database (schema {@link QUEUE_SCHEMA}, migrated at start). The rest
 * of the outbox builds its queues and workers here and never asks which backend it runs on, except
 * where behaviour really differs: {@link QueueBackend.rateLimitRedis} (shared rate-limit counts exist
 * only on Redis) and the health probe's name.
 */
export class QueueBackend implements OnApplicationShutdown {
  readonly kind: OutboxQueueBackend;
  /**
   * The Redis key prefix of every queue, a Cluster hash tag (ignored by the PostgreSQL backend). On a
   * Cluster each queue has a hash tag of its own instead ({@link QueueBackend.prefixOf}).
   */
  readonly prefix: string;
  private readonly logger = new Logger(QueueBackend.name);
  private pool?: pg.Pool;
  private readonly closables: Array<Queue | Worker> = [];
  private readonly redisProducers = new Map<Queue, RedisClient>();
  /** Each Redis worker's own connection, closed with it. */
  private readonly redisWorkerConnections = new Map<Worker, RedisClient>();

  private constructor(
    private readonly config: OutboxOptions,
    private readonly redis: RedisConnections,
  ) {
    this.kind = config.queueBackend;
    this.prefix = `{${config.queuePrefix}}`;
  }

  /**
   * The Redis key prefix of queue `name`. A BullMQ queue's keys must share a slot, so its prefix is a
   * hash tag. On one Redis every queue shares the app's `{prefix}`; on a Cluster each queue gets
   * `{prefix:name}`, so the lanes (and the maintenance queue) spread over the masters, and one
   * lane's `addBulk` stays in one slot (docs/adr/0040-redis-cluster-and-sentinel.md).
   */
  prefixOf(name: string): string {
    return this.redis.topology === 'cluster' ? `{${this.config.queuePrefix}:${name}}` : this.prefix;
  }

  /**
   * Builds the backend; on PostgreSQL, creates BullMQ's schema (or brings it up to date) first, as
   * every queue checks the schema once, when it is built. `dataSource` is only awaited: the app's
   * database exists (and has its own migrations) before the queues' schema is added to it.
   */
  static async create(config: OutboxOptions, redis: RedisConnections, dataSource: DataSource): Promise<QueueBackend> {
    const backend = new QueueBackend(config, redis);
    if (backend.kind === 'postgres') {
      if (!dataSource.isInitialized) throw new Error('the database must be initialised before the queues');
      const client = await backend.postgresPool().connect();
      try {
        await runMigrations(client, QUEUE_SCHEMA);
      } finally {
        client.release();
      }
    }
    return backend;
  }

  /**
   * A queue to add jobs to and read them from. On Redis, `dedicated` gives it a producer connection
   * of its own (one lane's large `addBulk` is never queued ahead of another lane's enqueue).
   */
  queue<T>(name: string, { dedicated = false }: { dedicated?: boolean } = {}): Queue<T> {
    let queue: Queue<T>;
    if (this.kind === 'redis') {
      const connection = dedicated ? this.redis.dedicatedProducer() : this.redis.producer();
      queue = new Queue<T>(name, { connection, prefix: this.prefixOf(name) });
      this.redisProducers.set(queue, connection);
    } else {
      queue = this.postgresQueue<T>(name, {});
    }
    this.closables.push(queue);
    return queue;
  }

  /** A worker for `name`; on Redis it blocks on a connection of its own that retries forever. */
  worker<T>(name: string, processor: Processor<T>, options: BackendWorkerOptions): Worker<T> {
    let worker: Worker<T>;
    if (this.kind === 'redis') {
      const connection = this.redis.worker();
      worker = new Worker<T>(name, processor, { ...options, connection, prefix: this.prefixOf(name) });
      this.redisWorkerConnections.set(worker as Worker, connection);
    } else {
      // The Redis-typed signature is kept for callers: the classes behave the same on either backend.
      const PgWorker = Worker as unknown as new (
        name: string,
        processor: Processor<T>,
        options: BackendWorkerOptions & { connection: pg.Pool },
        factory: typeof createPostgresBackend,
      ) => Worker<T>;
      worker = new PgWorker(name, processor, { ...options, connection: this.postgresPool() }, createPostgresBackend);
    }
    this.closables.push(worker);
    return worker;
  }

  /**
   * Whether `queue` can take jobs now. On Redis: its producer connection is up (while it is not,
   * the relay leaves rows in the outbox, ADR 0020). On PostgreSQL the queue is in the database the
   * relay claims from, so a claim that succeeded means the queue is reachable too.
   */
  connected(queue: Queue): boolean {
    const connection = this.redisProducers.get(queue);
    return connection === undefined || connection.status === 'ready';
  }

  /**
   * Throws unless the backend answers; the readiness check's probe. On Redis it tells the topology
   * ({@link RedisConnections.topologyReport}).
   */
  async ping(): Promise<RedisTopologyReport | undefined> {
    if (this.kind === 'redis') return this.redis.topologyReport();
    await this.postgresPool().query(`SELECT 1 FROM ${QUEUE_SCHEMA}.migration LIMIT 1`);
    return undefined;
  }

  /** The Redis connection rate limits count on, or undefined when there is no Redis (PostgreSQL backend). */
  rateLimitRedis(): RedisClient | undefined {
    return this.kind === 'redis' ? this.redis.prefixedProducer('throttle') : undefined;
  }

  /**
   * Closes a queue or worker built here, waiting at most `withinMs` (a worker's close waits for its
   * active jobs) before its connections are cut ({@link closeWithin}); it is then off the list
   * {@link onApplicationShutdown} closes, so nothing is waited for twice.
   */
  async close(closable: Queue | Worker, withinMs = CLOSE_DEADLINE_MS): Promise<void> {
    const index = this.closables.indexOf(closable);
    if (index >= 0) this.closables.splice(index, 1);
    const kind = closable instanceof Worker ? 'worker' : 'queue';
    await closeWithin(closable, `${kind} ${closable.name}`, withinMs, this.logger);
    const connection = closable instanceof Worker ? this.redisWorkerConnections.get(closable) : undefined;
    if (connection !== undefined) {
      this.redisWorkerConnections.delete(closable as Worker);
      await this.redis.close(connection);
    }
  }

  /** Closes every queue and worker built here not closed yet, then the PostgreSQL pool. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.closables].map((closable) => this.close(closable)));
    await this.pool?.end();
    this.pool = undefined;
  }

  private postgresQueue<T>(name: string, options: Omit<QueueOptions, 'connection'>): Queue<T> {
    const PgQueue = Queue as unknown as new (
      name: string,
      options: Omit<QueueOptions, 'connection'> & { connection: pg.Pool },
      factory: typeof createPostgresBackend,
    ) => Queue<T>;
    return new PgQueue(name, { ...options, connection: this.postgresPool() }, createPostgresBackend);
  }

  /**
   * One pool for every queue and worker: BullMQ's backends built on a pool share it and leave it
   * open, so this class ends it. Each connection's `search_path` is BullMQ's schema; workers keep
   * one connection each for `LISTEN`, hence the extra room.
   */
  private postgresPool(): pg.Pool {
    if (this.pool) return this.pool;
    this.pool = sessionPool(
      {
        // Workers LISTEN and each connection sets search_path: both need a session, never a
        // transaction pooler (docs/adr/0038-pgbouncer-transaction-pooling.md).
        connectionString: this.config.databaseDirectUrl ?? this.config.databaseUrl,
        application_name: 'debts-hub-queues',
        options: `-c search_path=${QUEUE_SCHEMA}`,
        keepAlive: true,
        max: Math.ceil(this.config.dbPoolSize / 2) + LISTEN_CONNECTIONS,
      },
      this.logger,
      'queue pool',
    );
    return this.pool;
  }
}
