/**
 * Rebuilds a balance projection from the ledger beside the live one, then swaps it in, while the
 * app keeps serving (the same rebuild as `POST /admin/projections/{name}/rebuild`, run here):
 *   npm run projections:rebuild -- citizen-balances
 * A progress bar on a terminal, one progress line a second otherwise. Exit code 0 once swapped.
 */
import { SingleBar } from 'cli-progress';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import {
  BALANCE_PROJECTIONS,
  projectionNamed,
  RebuildInProgressError,
  type RebuildProgress,
  standaloneRebuilder,
} from '../src/modules/ledger/index.js';

const names = BALANCE_PROJECTIONS.map((p) => p.name).join(', ');
const usage = `usage: npm run projections:rebuild -- <name>   (one of: ${names})`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Shows progress as a bar on a terminal, as plain lines (at most one a second) otherwise. */
function progressReporter(name: string): { update(p: RebuildProgress): void; stop(): void } {
  if (process.stdout.isTTY) {
    const bar = new SingleBar({
      format: `${name} [{bar}] {percentage}% | {value}/{total} entries | {phase} | {duration_formatted}`,
      hideCursor: true,
    });
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(Math.max(p.total, 1), 0, { phase: p.phase });
          started = true;
        }
        bar.setTotal(Math.max(p.total, p.done, 1));
        bar.update(p.done, { phase: p.phase });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase && Date.now() - last < 1000) return;
      last = Date.now();
      lastPhase = p.phase;
      const percent = p.total > 0 ? Math.floor((100 * Math.min(p.done, p.total)) / p.total) : 100;
      process.stdout.write(`${name}: ${p.phase} ${p.done}/${p.total} entries (${percent}%)\n`);
    },
    stop() {},
  };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const name = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
  if (!name) fail(usage);
  if (!projectionNamed(name)) fail(`unknown projection "${name}"\n${usage}`);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const dataSource = new DataSource({ ...typeOrmOptions(config), extra: { ...typeOrmOptions(config).extra, max: 2 } });
  await dataSource.initialize();
  const rebuilder = standaloneRebuilder(dataSource);
  const reporter = progressReporter(name);
  try {
    const started = await rebuilder.start(name, `cli:${process.env.USER ?? 'unknown'}`);
    process.stdout.write(`rebuild ${started.id}: ${name} version ${started.version} beside the live one\n`);
    const done = await rebuilder.run(started, (p) => reporter.update(p));
    reporter.stop();
    process.stdout.write(
      `rebuilt ${name}: version ${done.version} is live; ${done.progress.done} entries in ${done.durationSeconds?.toFixed(2)} s, ` +
        `${done.caughtUp} subjects caught up\n`,
    );
  } catch (error) {
    reporter.stop();
    if (error instanceof RebuildInProgressError) fail(`${name}: ${error.message}; try again once it ends`, 1);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
