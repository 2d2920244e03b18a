import { startRedisProcesses } from './private-redis-processes.js';

/** The master name the sentinels of scripts/redis-sentinel/sentinel.sh monitor. */
export const SENTINEL_MASTER_NAME = 'debts-hub';

/**
 * A throw-away Redis Sentinel setup of one test's own: a master, a replica and three sentinels on
 * free local ports (scripts/redis-sentinel/sentinel.sh), nothing on disk.
 */
export interface PrivateRedisSentinel {
  /** The master's port at the start. */
  readonly masterPort: number;
  /** The replica's port at the start: the master after a failover. */
  readonly replicaPort: number;
  /** The sentinel list for REDIS_SENTINELS. */
  readonly sentinels: string;
  /** The master's address (`127.0.0.1:<port>`) the sentinels name now. */
  master(): Promise<string>;
  /** SIGKILLs the process on `port`. */
  kill(port: number): Promise<void>;
  /** Stops every process and removes the directory. */
  stop(): Promise<void>;
}

export async function startPrivateRedisSentinel(): Promise<PrivateRedisSentinel> {
  const processes = await startRedisProcesses('scripts/redis-sentinel/sentinel.sh', 5);
  const [masterPort, replicaPort] = processes.ports;
  return {
    masterPort,
    replicaPort,
    sentinels: processes.started,
    master: () => processes.script('master'),
    async kill(port) {
      await processes.script('kill', port);
    },
    stop: processes.stop,
  };
}
