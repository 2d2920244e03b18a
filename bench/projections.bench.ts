/**
 * `npm run bench:projections` — how fast a balance projection is rebuilt from the ledger
 * (docs/benchmarks.md, "Projection rebuild").
 *
 * Seeds a fresh database (test/support's isolate(), removed at the end) with BENCH_POSTINGS
 * balanced postings (default 250,000: 500,000 ledger entries), half on citizens' receivables and
 * half on customers' order accounts, ids time-ordered as the app's uuid v7 are. Then rebuilds
 * `citizen-balances` BENCH_RUNS times (default 3) with the same rebuilder the admin API and
 * `npm run projections:rebuild` use, and prints ledger entries read per second (min / median /
 * max): every entry of the ledger is read by each rebuild, whichever projection it folds into.
 */
import 'reflect-metadata';
import os from 'node:os';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/index.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { standaloneRebuilder } from '../src/modules/ledger/index.js';
import { isolate } from '../test/support/test-env.js';
import { int, percentile } from './stats.js';

const POSTINGS = Number(process.env.BENCH_POSTINGS ?? 250_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 20_000);
const TARGET = 50_000;

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const isolation = await isolate();
  const config = loadConfig(isolation.env);
  const dataSource = new DataSource(typeOrmOptions(config));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    process.stdout.write(
      `seeding ${int(POSTINGS)} postings (${int(POSTINGS * 2)} entries) over ${int(SUBJECTS)} subjects...\n`,
    );
    // Ids like uuid v7: a millisecond timestamp first, so keyset order is insertion order.
    await dataSource.query(
      `INSERT INTO ledger_entry (id, source, kind, account, amount, currency)
       SELECT (lpad(to_hex($2::bigint + n * 2 + a.leg), 12, '0') || '7000' || '8000' || lpad(to_hex(n * 2 + a.leg), 12, '0'))::uuid,
              'bench-' || n, CASE WHEN n % 2 = 0 THEN 'debt-registered' ELSE 'payment-received' END,
              CASE WHEN a.leg = 0 THEN
                CASE WHEN n % 2 = 0 THEN 'citizen:c' || (n % $3) || ':receivable' ELSE 'customer:k' || (n % $3) || ':orders' END
              ELSE CASE WHEN n % 2 = 0 THEN 'revenue:fine' ELSE 'gateway:cash' END END,
              CASE WHEN a.leg = 0 THEN (100 + n % 900) * CASE WHEN n % 2 = 0 THEN 1 ELSE -1 END
                   ELSE -(100 + n % 900) * CASE WHEN n % 2 = 0 THEN 1 ELSE -1 END END,
              'SAR'
       FROM generate_series(1, $1::int) AS n, (VALUES (0), (1)) AS a(leg)`,
      [POSTINGS, Date.now() - POSTINGS * 2, SUBJECTS],
    );
    await dataSource.query(`VACUUM ANALYZE ledger_entry`);
    const rebuilder = standaloneRebuilder(dataSource);
    const rates: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const started = await rebuilder.start('citizen-balances', 'bench');
      const begin = process.hrtime.bigint();
      const done = await rebuilder.run(started);
      const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
      const rate = done.progress.done / seconds;
      rates.push(rate);
      process.stdout.write(
        `run ${run}: ${int(done.progress.done)} entries in ${seconds.toFixed(2)} s = ${int(rate)} entries/s (version ${done.version})\n`,
      );
    }
    const [{ rows }] = await dataSource.query(
      `SELECT count(*)::int AS rows FROM ledger_citizen_balance b JOIN ledger_projection p
       ON p.name = 'citizen-balances' AND b.version = p.live_version`,
    );
    const min = Math.min(...rates);
    const median = percentile(rates, 0.5);
    const max = Math.max(...rates);
    process.stdout.write(
      `\nprojection rebuild (citizen-balances, ${int(rows)} balances), ${os.cpus().length} CPUs, batch 20,000:\n` +
        `  entries/s  min ${int(min)}  median ${int(median)}  max ${int(max)}  (target >= ${int(TARGET)}: ${median >= TARGET ? 'met' : 'NOT met'})\n`,
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await isolation.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
