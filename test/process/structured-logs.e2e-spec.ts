import { isolate, type TestIsolation } from '../support/test-env.js';
import { eventually } from '../support/eventually.js';
import { type AppProcess, freePort, spawnApp, waitUntilReady } from '../support/app-process.js';

interface LogLine {
  level: number;
  msg: string;
  correlationId?: string;
  req?: { url: string; headers: Record<string, string> };
}

describe('structured JSON logs', () => {
  let isolation: TestIsolation;
  let app: AppProcess;
  let port: number;

  beforeAll(async () => {
    isolation = await isolate();
    port = await freePort();
    app = spawnApp({ ...isolation.env, PORT: String(port), LOG_LEVEL: 'info' });
    await waitUntilReady(port, app);
  });
  afterAll(async () => {
    app.child.kill('SIGTERM');
    await app.exited;
    await isolation.dispose();
  });

  const lines = (): LogLine[] =>
    app
      .output()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);

  it('writes only JSON lines, and each request line carries its correlation id with credentials redacted', async () => {
    await fetch(`http://127.0.0.1:${port}/v1/nothing-here`, {
      headers: { 'X-Correlation-Id': 'corr-log-1', Authorization: 'Bearer secret-token-value' },
    });
    const line = await eventually(() => {
      const found = lines().find((l) => l.req?.url === '/v1/nothing-here');
      if (!found) throw new Error('no request line yet');
      return found;
    });
    expect(line.correlationId).toBe('corr-log-1');
    expect(line.req?.headers.authorization).toBe('[redacted]');
    expect(app.output()).not.toContain('secret-token-value');
  });

  it('warns once at start that development secrets are in use, naming the variables only', () => {
    const warnings = lines().filter((l) => l.msg.includes('development values published in the source'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe(40);
    expect(warnings[0].msg).toContain('AUTH_JWT_SECRET, GATEWAY_WEBHOOK_SECRET');
    expect(app.output()).not.toContain('dev-only-jwt-secret');
  });
});
