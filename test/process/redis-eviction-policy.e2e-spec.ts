import { Redis } from 'ioredis';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.js';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '../support/private-redis-cluster.js';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../support/app-process.js';
import { isolate, type TestIsolation } from '../support/test-env.js';
import { redisSuite } from '../support/suite-backends.js';
import { REDIS_SERVER } from '../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

describeOnRedis('Redis maxmemory-policy check at start', () => {
  let isolation: TestIsolation;
  let redis: PrivateRedis;
  let redisUrl: string;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    isolation = await isolate();
    // A throw-away Redis whose policy may evict keys, so the shared one is never reconfigured.
    redis = await startPrivateRedis({ maxmemoryPolicy: 'allkeys-lru' });
    redisUrl = redis.url;
  });
  afterAll(async () => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
    await redis.kill();
    await isolation.dispose();
  });

  it('refuses to start when Redis may evict keys', async () => {
    app = spawnApp({ ...isolation.env, REDIS_URL: redisUrl, PORT: String(await freePort()) });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/maxmemory-policy is "allkeys-lru"; it must be "noeviction"/);
  });

  it('only warns, loudly, when REDIS_ALLOW_EVICTION=true', async () => {
    const port = await freePort();
    app = spawnApp({
      ...isolation.env,
      REDIS_URL: redisUrl,
      REDIS_ALLOW_EVICTION: 'true',
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await waitUntilReady(port, app);
    const warnings = app
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 40);
    expect(warnings.map((w) => w.msg)).toContainEqual(
      expect.stringMatching(/^!!! Redis maxmemory-policy is "allkeys-lru"/),
    );
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

describeOnRedis('Redis maxmemory-policy check at start, on every master of a Redis Cluster', () => {
  let isolation: TestIsolation;
  let cluster: PrivateRedisCluster;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    isolation = await isolate();
    cluster = await startPrivateRedisCluster();
  });
  afterAll(async () => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
    await cluster.stop();
    await isolation.dispose();
  });

  it('refuses to start when one master of the cluster may evict keys, naming it', async () => {
    // The last master, not the one a client would ask first: every master is checked.
    const port = cluster.ports.at(-1)!;
    const node = new Redis({ host: '127.0.0.1', port });
    try {
      expect(await node.config('SET', 'maxmemory-policy', 'volatile-lru')).toBe('OK');
    } finally {
      node.disconnect();
    }
    app = spawnApp({ ...isolation.env, REDIS_CLUSTER_NODES: cluster.nodes, PORT: String(await freePort()) });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(
      `Redis maxmemory-policy is "volatile-lru" on 127.0.0.1:${port}; it must be "noeviction"`,
    );
  });
});
