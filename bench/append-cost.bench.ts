/**
 * Diagnostic companion of outbox.bench.ts (not wired to an npm script): what one business
 * transaction costs with each part of OutboxWriter.append, producers only, no relay or workers.
 * Same schema (the real migrations), same pool size (10) and producer concurrency (8).
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/append-cost.bench.js
 *
 * The SQL below copies outbox-writer.ts statement by statement ("as today"), then removes or
 * merges parts, to show where the producer-side throughput goes (docs/benchmarks.md).
 */
import 'reflect-metadata';
import { DataSource, type QueryRunner } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../src/config/index.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { isolate } from '../test/support/test-env.js';
import { int, table } from './stats.js';

const TRANSACTIONS = Number(process.env.BENCH_APPEND_TX ?? 3000);
const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 8);

const BUSINESS = `INSERT INTO bench_order (id, producer, amount) VALUES ($1, $2, $3)`;
const RESERVE = `INSERT INTO outbox_aggregate_seq (aggregate_type, aggregate_id, last_seq)
  SELECT aggregate_type, aggregate_id, n
  FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(aggregate_type, aggregate_id, n, ord)
  ORDER BY ord
  ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_seq = outbox_aggregate_seq.last_seq + EXCLUDED.last_seq
  RETURNING aggregate_type, aggregate_id, last_seq`;
const INSERT_MESSAGES = `INSERT INTO outbox_message
  (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)
  SELECT id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload::jsonb
  FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[], $8::text[], $9::text[], $10::text[])
    AS t(id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)`;
/** Sequence reservation and message insert as one statement (one round trip, same rows written). */
const MERGED = `WITH seq AS (
    INSERT INTO outbox_aggregate_seq (aggregate_type, aggregate_id, last_seq) VALUES ($4, $5, 1)
    ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_seq = outbox_aggregate_seq.last_seq + 1
    RETURNING last_seq)
  INSERT INTO outbox_message
    (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)
  SELECT $1, $2, $3, $4, $5, seq.last_seq, $6, $7, $8, $9::jsonb FROM seq`;

type Step = (runner: QueryRunner, id: string, producer: number) => Promise<void>;

function messageParams(id: string): unknown[] {
  return [
    [uuidv7()],
    ['bench.order-placed'],
    [1],
    ['bench-order'],
    [id],
    [1],
    [new Date().toISOString()],
    [uuidv7()],
    [null],
    [JSON.stringify({ orderId: id, amount: 1 })],
  ];
}

const business: Step = (r, id, p) => r.query(BUSINESS, [id, p, 1]);
const notify: Step = (r) => r.query(`SELECT pg_notify('outbox_message', '')`);
const writerToday: Step = async (r, id) => {
  await r.query(RESERVE, [['bench-order'], [id], [1]]);
  await r.query(INSERT_MESSAGES, messageParams(id));
  await r.query(`SELECT current_setting('outbox.notified', true) AS notified`);
  await r.query(`SELECT set_config('outbox.notified', '1', true), pg_notify($1, '')`, ['outbox_message']);
};
const writerTodayNoNotify: Step = async (r, id) => {
  await r.query(RESERVE, [['bench-order'], [id], [1]]);
  await r.query(INSERT_MESSAGES, messageParams(id));
};
const merged: Step = (r, id) =>
  r.query(MERGED, [
    uuidv7(),
    'bench.order-placed',
    1,
    'bench-order',
    id,
    new Date().toISOString(),
    uuidv7(),
    null,
    JSON.stringify({ orderId: id, amount: 1 }),
  ]);

const VARIANTS: Array<[string, number, Step[]]> = [
  ['business insert only', 3, [business]],
  ['business insert + pg_notify', 4, [business, notify]],
  ['+ writer as today (seq, insert, setting, notify)', 7, [business, writerToday]],
  ['+ writer as today without NOTIFY', 5, [business, writerTodayNoNotify]],
  ['+ merged seq+insert statement + NOTIFY', 5, [business, merged, notify]],
  ['+ merged seq+insert statement, no NOTIFY', 4, [business, merged]],
];

async function run(ds: DataSource, tag: string, steps: Step[]): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, producer) => {
      for (let i = next++; i < TRANSACTIONS; i = next++) {
        const runner = ds.createQueryRunner();
        try {
          await runner.startTransaction();
          for (const step of steps) await step(runner, `${tag}-${i}`, producer);
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
      }
    }),
  );
  return (TRANSACTIONS / (performance.now() - start)) * 1000;
}

async function main(): Promise<void> {
  const isolation = await isolate();
  const ds = new DataSource(typeOrmOptions(loadConfig(isolation.env)));
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.query(
      `CREATE TABLE bench_order (id text PRIMARY KEY, producer integer NOT NULL, amount integer NOT NULL)`,
    );
    await run(ds, 'warm', [business, writerToday]);
    const rounds: number[][] = VARIANTS.map(() => []);
    for (let round = 0; round < 2; round += 1) {
      for (const [index, [, , steps]] of VARIANTS.entries()) {
        await ds.query('CHECKPOINT').catch(() => undefined);
        rounds[index].push(await run(ds, `r${round}-v${index}`, steps));
      }
    }
    process.stdout.write(
      `append cost: ${TRANSACTIONS} single-event business transactions, ${PRODUCERS} producers, pool 10, producers only\n\n`,
    );
    process.stdout.write(
      `${table(
        ['transaction', 'round trips', 'round 1 tx/s', 'round 2 tx/s'],
        VARIANTS.map(([name, trips], i) => [name, String(trips), int(rounds[i][0]), int(rounds[i][1])]),
      )}\n`,
    );
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await isolation.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`append-cost failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
