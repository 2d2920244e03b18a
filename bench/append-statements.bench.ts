/**
 * Diagnostic (not wired to an npm script): what one append statement costs, the writer's array
 * statement (`APPEND`) against its one-event statement (`APPEND_ONE`), for a single event.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/append-statements.bench.js
 *
 * One connection, no other load of its own: each round runs BENCH_APPEND_CALLS appends of one
 * event per statement inside one transaction (rolled back, so no fsync and no table growth), the
 * two statements alternating round by round. Wall time per call is the round trip plus PostgreSQL's
 * execution; Node CPU per call is what this process spent building, sending and reading it. The
 * end-to-end benchmark cannot resolve a difference this size on a noisy 2-vCPU VM
 * (docs/benchmarks.md, session 4); this one can.
 */
import 'reflect-metadata';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../src/config/index.js';
import { APPEND, APPEND_ONE } from '../src/outbox/writer/outbox-writer.js';
import { isolate } from '../test/support/test-env.js';
import { DataSource } from 'typeorm';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { table } from './stats.js';

const CALLS = Number(process.env.BENCH_APPEND_CALLS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

/** The ten column values of one `bench.order-placed` event, in the statements' parameter order. */
function columns(i: number): unknown[] {
  const id = uuidv7();
  const orderId = `order-${id}`;
  return [
    id,
    'bench.order-placed',
    1,
    'bench-order',
    orderId,
    new Date().toISOString(),
    uuidv7(),
    null,
    JSON.stringify({ orderId, amount: i % 1000 }),
    1,
  ];
}

const VARIANTS: Array<[string, { name: string; text: string }, (values: unknown[]) => unknown[]]> = [
  ['APPEND (ten one-element arrays)', APPEND, (values) => values.map((value) => [value])],
  ['APPEND_ONE (scalars)', APPEND_ONE, (values) => values],
];

async function round(
  client: pg.Client,
  statement: { name: string; text: string },
  shape: (values: unknown[]) => unknown[],
): Promise<{ wallUs: number; cpuUs: number }> {
  await client.query('BEGIN');
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < CALLS; i += 1) {
    await client.query({ name: statement.name, text: statement.text, values: shape(columns(i)) });
  }
  const wallUs = ((performance.now() - start) * 1000) / CALLS;
  const used = process.cpuUsage(cpu);
  await client.query('ROLLBACK');
  return { wallUs, cpuUs: (used.user + used.system) / CALLS };
}

async function main(): Promise<void> {
  const isolation = await isolate();
  const config = loadConfig(isolation.env);
  const ds = new DataSource(typeOrmOptions(config));
  const client = new pg.Client({ connectionString: config.databaseUrl });
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await client.connect();
    const results = VARIANTS.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    for (let r = 0; r <= ROUNDS; r += 1) {
      for (const [index, [, statement, shape]] of VARIANTS.entries()) {
        const { wallUs, cpuUs } = await round(client, statement, shape);
        // Round 0 warms up both statements (parse, generic plan, JIT of this process) and is dropped.
        if (r > 0) {
          results[index].wall.push(wallUs);
          results[index].cpu.push(cpuUs);
        }
      }
    }
    const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
    process.stdout.write(
      `one-event appends: ${CALLS} per round in one rolled-back transaction, ${ROUNDS} alternating rounds, one connection\n\n`,
    );
    process.stdout.write(
      `${table(
        ['statement', 'wall µs per call (each round)', 'Node CPU µs per call (each round)'],
        VARIANTS.map(([label], i) => [label, fmt(results[i].wall), fmt(results[i].cpu)]),
      )}\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
    if (ds.isInitialized) await ds.destroy();
    await isolation.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`append-statements failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
