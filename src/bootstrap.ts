import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/index.js';
import { TELEMETRY_BODY_LIMIT, TELEMETRY_PATH } from './modules/fulfilment/index.js';
import { mountBullBoard } from './outbox-admin/index.js';
import { configureHttp } from './platform/index.js';

/**
 * Builds the application for `config`; `main.ts` and the end-to-end tests share it, so tests
 * boot the real pipeline. `root` lets tests wrap {@link AppModule} with probe controllers.
 */
export async function createApp(
  config: AppConfig,
  root: DynamicModule = AppModule.register(config),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bufferLogs: true,
    bodyParser: false,
    rawBody: true,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  if (config.developmentFallbacks.length > 0) {
    logger.warn(
      `NODE_ENV=${config.nodeEnv}: using the development values published in the source for ` +
        `${config.developmentFallbacks.join(', ')}; production refuses them`,
      'Config',
    );
  }
  configureHttp(app, config, { [TELEMETRY_PATH]: TELEMETRY_BODY_LIMIT });
  mountBullBoard(app);
  return app;
}
