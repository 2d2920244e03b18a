import 'reflect-metadata';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/index.js';
import { startTracing } from './platform/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
  // Before the app exists, so its first request is traced; the exporter reads the OTEL_* variables.
  if (config.otlpEndpoint !== undefined) startTracing({ serviceName: config.otelServiceName });
  const app = await createApp(config);
  // SIGTERM/SIGINT: stop accepting requests, drain workers, close pools, then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // worker.close() has no timeout of its own: a stuck job must not keep the process forever.
      setTimeout(() => {
        process.stderr.write(`shutdown did not finish within ${config.shutdownTimeoutMs} ms; exiting\n`);
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    });
  }
  if (config.roles.has('api')) await app.listen(config.port);
  else await app.init();
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
