import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.js';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../support/app-process.js';
import { isolate, type TestIsolation } from '../support/test-env.js';

describe('Redis maxmemory-policy check at start', () => {
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
