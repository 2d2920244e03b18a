import { isolate, type TestIsolation } from '../support/test-env.js';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../support/app-process.js';

describe('graceful shutdown of a real process', () => {
  let isolation: TestIsolation;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    isolation = await isolate();
  });
  afterAll(async () => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
    await isolation.dispose();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} stops serving, closes its pools and exits 0`, async () => {
      const port = await freePort();
      app = spawnApp({ ...isolation.env, PORT: String(port), LOG_LEVEL: 'info' });
      await waitUntilReady(port, app);

      app.child.kill(signal);
      expect(await app.exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
      expect(app.output()).not.toMatch(/"level":50/);
    });
  }
});
