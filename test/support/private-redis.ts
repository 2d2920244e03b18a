import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './app-process.js';
import { eventually } from './eventually.js';

/**
 * A throw-away redis-server of one test's own, on a free local port, that keeps nothing on disk
 * (`--save ''`, `--appendonly no`): FLUSHALL, SIGKILL and restarts there never touch the shared
 * Redis other suites run against.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts the server (again, on the same port) and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILLs the server and waits until it has exited: everything in it is lost. */
  kill(): Promise<void>;
  /**
   * SIGSTOPs the server: connections stay open and commands get no answer until {@link thaw}, as
   * with a Redis host that hangs or a network that drops packets.
   */
  freeze(): void;
  /** SIGCONTs a frozen server; it answers what it was sent meanwhile. */
  thaw(): void;
  /** Runs one command on a short-lived connection of its own. */
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
}

export async function startPrivateRedis({ maxmemoryPolicy = 'noeviction' } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;

  const connect = async (): Promise<Redis> => {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (server && server.exitCode === null && server.signalCode === null) throw new Error('already running');
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          maxmemoryPolicy,
        ],
        { stdio: 'ignore' },
      );
      server = child;
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
          const client = await connect();
          try {
            const pong = await client.ping();
            if (pong !== 'PONG') throw new Error(`redis-server answered ${pong}`);
          } finally {
            client.disconnect();
          }
        },
        { timeoutMs: 10_000 },
      );
    },
    async kill() {
      const child = server;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    freeze() {
      if (!server?.kill('SIGSTOP')) throw new Error('redis-server is not running');
    },
    thaw() {
      if (!server?.kill('SIGCONT')) throw new Error('redis-server is not running');
    },
    async command(name, ...args) {
      const client = await connect();
      try {
        return await client.call(name, ...args);
      } finally {
        client.disconnect();
      }
    },
  };
  await redis.start();
  return redis;
}
