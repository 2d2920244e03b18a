import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { StubKeyStats, StubWebhookDelivery } from '../../scripts/gateway-stub/gateway-stub.js';
import type { StubSettings } from '../../scripts/gateway-stub/stub-settings.js';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/** The stub's compiled entry point (`npm run build:test` compiles scripts/ beside src/ and test/). */
const STUB_MAIN = join(
  process.cwd(),
  process.env.TEST_BUILD_DIR ?? '.test-build',
  'scripts',
  'gateway-stub',
  'main.js',
);

/** The key tests give the stub and the app (`GATEWAY_API_KEY`). */
export const STUB_API_KEY = 'stub-test-api-key';

/** A charge as the stub reports it (`GET /_stub/charges/<key>`). */
export interface StubChargeReport extends StubKeyStats {
  idempotencyKey: string;
  charge: { id: string; status: string; amount: number; currency: string; reference: string; metadata: object } | null;
}

/** The stub provider running as a real child process (scripts/gateway-stub). */
export interface GatewayStubProcess {
  /** Its base URL, the app's `GATEWAY_URL`. */
  url: string;
  child: ChildProcess;
  output(): string;
  /** Changes settings while it runs (`PATCH /_stub/settings`); returns them all. */
  configure(patch: Partial<StubSettings>): Promise<StubSettings>;
  /** What the stub saw for one idempotency key (a payment id): requests, charges created, lookups. */
  charges(idempotencyKey: string): Promise<StubChargeReport>;
  /** Every webhook post attempt so far, in order. */
  webhooks(): Promise<StubWebhookDelivery[]>;
  refunds(): Promise<Array<{ id: string; idempotencyKey: string; charge: string; amount: number }>>;
  stop(): Promise<void>;
}

/**
 * Spawns the stub on a free port (`STUB_PORT=0`; the port is read from its first line) with
 * `STUB_*` variables from `settings`. The webhook URL is usually set later with
 * {@link GatewayStubProcess.configure}: the app's port is known only once it listens.
 */
export async function spawnGatewayStub(settings: Record<string, string> = {}): Promise<GatewayStubProcess> {
  const child = spawn(process.execPath, [STUB_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      STUB_PORT: '0',
      STUB_API_KEY,
      STUB_QUIET: process.env.TEST_STUB_VERBOSE === 'true' ? 'false' : 'true',
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway stub did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env.TEST_STUB_VERBOSE === 'true') process.stderr.write(chunk);
      const match = /gateway stub listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway stub exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`stub ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  return {
    url,
    child,
    output: () => output,
    configure: (patch) => control('PATCH', '/_stub/settings', patch),
    charges: (key) => control('GET', `/_stub/charges/${encodeURIComponent(key)}`),
    webhooks: () => control('GET', '/_stub/webhooks'),
    refunds: () => control('GET', '/_stub/refunds'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A test app charging through the stub over real HTTP; `close()` stops the stub too. */
export interface TestAppWithStub extends TestApp {
  stub: GatewayStubProcess;
}

/**
 * Starts the stub, then the app with `PAYMENT_GATEWAY=http` pointed at it (`GATEWAY_TIMEOUT_MS`
 * 1000 unless `options.env` says otherwise), then tells the stub where the app's webhook is and
 * which secret signs it. `stubSettings` are the stub's `STUB_*` variables at start.
 */
export async function startTestAppWithStub(
  options: TestAppOptions = {},
  stubSettings: Record<string, string> = {},
): Promise<TestAppWithStub> {
  const stub = await spawnGatewayStub(stubSettings);
  let t: TestApp;
  try {
    t = await startTestApp({
      ...options,
      env: {
        PAYMENT_GATEWAY: 'http',
        GATEWAY_URL: stub.url,
        GATEWAY_API_KEY: STUB_API_KEY,
        GATEWAY_TIMEOUT_MS: '1000',
        ...options.env,
      },
    });
  } catch (error) {
    await stub.stop();
    throw error;
  }
  try {
    await stub.configure({
      webhookUrl: `${t.url}/v1/payments/gateway-webhook`,
      webhookSecret: t.config.gatewayWebhookSecret,
    });
  } catch (error) {
    await stub.stop();
    await t.close();
    throw error;
  }
  const closeApp = t.close.bind(t);
  return Object.assign(t, {
    stub,
    async close() {
      // The stub first: no webhook may reach an app that is shutting down.
      await stub.stop();
      await closeApp();
    },
  });
}
