import { Redis } from 'ioredis';
import { startRedisProcesses } from './private-redis-processes.js';

/**
 * A throw-away Redis Cluster of one test's own (masters only, on free local ports, nothing on disk),
 * run by scripts/redis-cluster/cluster.sh: killing a master there never touches the machine's Redis.
 */
export interface PrivateRedisCluster {
  readonly ports: number[];
  /** The seed list for REDIS_CLUSTER_NODES. */
  readonly nodes: string;
  /** The port of the master that holds `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the node on `port`: every key it held is lost. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again, empty, with its slots, and waits until the cluster is ok. */
  restart(port: number): Promise<void>;
  /** Stops every node and removes the directory. */
  stop(): Promise<void>;
}

export async function startPrivateRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const processes = await startRedisProcesses('scripts/redis-cluster/cluster.sh', masters, { clusterBus: true });
  const { ports } = processes;
  return {
    ports,
    nodes: processes.started,
    async masterOf(key) {
      const client = new Redis({ port: ports[0], host: '127.0.0.1', maxRetriesPerRequest: 0 });
      try {
        const slot = (await client.cluster('KEYSLOT', key)) as number;
        const ranges = (await client.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!owner) throw new Error(`no master holds slot ${slot}`);
        return owner[2][1];
      } finally {
        client.disconnect();
      }
    },
    async kill(port) {
      await processes.script('kill', port);
    },
    async restart(port) {
      await processes.script('restart', port);
    },
    stop: processes.stop,
  };
}
