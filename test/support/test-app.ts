import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module.js';
import { createApp } from '../../src/bootstrap.js';
import { type AppConfig, loadConfig } from '../../src/config/index.js';
import { type EventCatalogue } from '../../src/outbox/host.js';
import { type Principal, TokenService } from '../../src/platform/index.js';
import { isolate, type TestIsolation } from './test-env.js';

/** The real application, listening on a random local port, in its own database and prefix. */
export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  isolation: TestIsolation;
  /** Base URL, for supertest or fetch. */
  url: string;
  /** A valid bearer token for `principal`. */
  token(principal: Principal): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Extra controllers mounted beside the app's own (probes for platform behaviour). */
  controllers?: Type[];
  /** Extra providers, e.g. event handlers of a test catalogue. */
  providers?: Provider[];
  /** Replaces the app's event catalogue (outbox tests use events of their own). */
  catalogue?: EventCatalogue;
}

/** Boots the real {@link AppModule} against real PostgreSQL and Redis. */
export async function startTestApp({
  env = {},
  controllers = [],
  providers = [],
  catalogue,
}: TestAppOptions = {}): Promise<TestApp> {
  const isolation = await isolate();
  try {
    const config = loadConfig({ ...isolation.env, ...env });
    const root: DynamicModule = {
      module: TestRootModule,
      imports: [AppModule.register(config, catalogue)],
      controllers,
      providers,
    };
    const app = await createApp(config, root);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const tokens = app.get(TokenService);
    return {
      app,
      config,
      isolation,
      url: `http://127.0.0.1:${port}`,
      token: (principal) => tokens.sign(principal),
      async close() {
        await app.close();
        await isolation.dispose();
      },
    };
  } catch (error) {
    await isolation.dispose();
    throw error;
  }
}

@Module({})
class TestRootModule {}
