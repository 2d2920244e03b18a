import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { AppModule } from '../../src/app.module.js';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { ProbeController } from './probe.controller.js';

@Module({})
class ProbeRootModule {}

/**
 * The real application plus {@link ProbeController}, as a process of its own: for tests that read
 * what the process prints (structured logs), which an in-process app writes straight to fd 1.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config, {
    module: ProbeRootModule,
    imports: [AppModule.register(config)],
    controllers: [ProbeController],
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.port);
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
