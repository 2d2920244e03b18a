/**
 * Diagnostic (not wired to an npm script): what the hot path's one-event statements save against
 * the array statements they stand in for, for a single event: the writer's `APPEND_ONE` against
 * `APPEND`, and the delivery processor's `RECORD_HANDLED_ONE` against `RECORD_HANDLED`.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/hot-statements.bench.js
 *
 * One connection, no other load of its own: each round runs BENCH_STATEMENT_CALLS one-event calls
 * inside one transaction (rolled back, so no fsync and no table growth), the two statements of a
 * pair alternating round by round. Wall time per call is the round trip plus PostgreSQL's
 * execution; Node CPU per call is what this process spent building, sending and reading it. The
 * end-to-end benchmark cannot resolve a difference this size on a noisy 2-vCPU VM
 * (docs/benchmarks.md, session 4); this one can.
 */
import 'reflect-metadata';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { storeCommittedEvents } from './committed-events.js';
import { loadConfig } from '../src/config/index.js';
import { APPEND, APPEND_ONE, type Envelope, RECORD_HANDLED, RECORD_HANDLED_ONE } from '../src/outbox/testing.js';
import { isolate } from '../test/support/test-env.js';
import { DataSource } from 'typeorm';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { table } from './stats.js';

const CALLS = Number(process.env.BENCH_STATEMENT_CALLS ?? 3000);
const SUBSCRIBER = 'bench.order-projector';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

/** The ten column values of one `bench.order-placed` event, in the append statements' order. */
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

interface Variant {
  label: string;
  statement: { name: string; text: string };
  /** Writes what the calls need (in the round's transaction) and returns each call's parameters. */
  prepare: (client: pg.Client) => Promise<unknown[][]>;
}

const appendCalls = async () => Array.from({ length: CALLS }, (_, i) => columns(i));

/**
 * One archived event and its `enqueued` delivery per call, as the relay leaves them for the
 * handler's transaction (both statements check the job's envelope against them).
 */
async function openDeliveries(client: pg.Client): Promise<Envelope[]> {
  const envelopes = Array.from({ length: CALLS }, (_, i): Envelope => {
    const [id, type, version, aggregateType, aggregateId, occurredAt, correlationId, causationId, payload] = columns(
      i,
    ) as [string, string, number, string, string, string, string, null, string];
    return {
      id,
      type,
      version,
      aggregateType,
      aggregateId,
      aggregateSeq: 1,
      occurredAt,
      correlationId,
      causationId,
      payload: JSON.parse(payload) as unknown,
    };
  });
  await storeCommittedEvents(client, envelopes, SUBSCRIBER, 'default');
  return envelopes;
}

const PAIRS: Variant[][] = [
  [
    {
      label: 'APPEND (ten one-element arrays)',
      statement: APPEND,
      prepare: async () => (await appendCalls()).map((values) => values.map((value) => [value])),
    },
    { label: 'APPEND_ONE (scalars)', statement: APPEND_ONE, prepare: appendCalls },
  ],
  [
    {
      label: 'RECORD_HANDLED (one-element array)',
      statement: RECORD_HANDLED,
      prepare: async (client) => (await openDeliveries(client)).map((e) => [SUBSCRIBER, JSON.stringify([e])]),
    },
    {
      label: 'RECORD_HANDLED_ONE (scalars)',
      statement: RECORD_HANDLED_ONE,
      prepare: async (client) => (await openDeliveries(client)).map((e) => [SUBSCRIBER, e.id, JSON.stringify(e)]),
    },
  ],
];

async function round(client: pg.Client, { statement, prepare }: Variant): Promise<{ wallUs: number; cpuUs: number }> {
  await client.query('BEGIN');
  const calls = await prepare(client);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const values of calls) await client.query({ name: statement.name, text: statement.text, values });
  const wallUs = ((performance.now() - start) * 1000) / calls.length;
  const used = process.cpuUsage(cpu);
  await client.query('ROLLBACK');
  return { wallUs, cpuUs: (used.user + used.system) / calls.length };
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
    const rows: string[][] = [];
    const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
    for (const pair of PAIRS) {
      const results = pair.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
      for (let r = 0; r <= ROUNDS; r += 1) {
        for (const [index, variant] of pair.entries()) {
          const { wallUs, cpuUs } = await round(client, variant);
          // Round 0 warms up both statements (parse, generic plan, JIT of this process) and is dropped.
          if (r > 0) {
            results[index].wall.push(wallUs);
            results[index].cpu.push(cpuUs);
          }
        }
      }
      rows.push(...pair.map((variant, i) => [variant.label, fmt(results[i].wall), fmt(results[i].cpu)]));
    }
    process.stdout.write(
      `one-event calls: ${CALLS} per round in one rolled-back transaction, ${ROUNDS} alternating rounds, one connection\n\n`,
    );
    process.stdout.write(
      `${table(['statement', 'wall µs per call (each round)', 'Node CPU µs per call (each round)'], rows)}\n`,
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
    process.stderr.write(`hot-statements failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
