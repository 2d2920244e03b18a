/**
 * What it costs per delivery to trust a job only when it matches the event committed in PostgreSQL
 * (docs/adr/0019-forged-jobs-and-pruning.md), the two candidate ways, against a baseline in the
 * same run:
 *
 *   npm run bench:job-authenticity
 *
 * - baseline: the inbox statement as it was before the check (inbox row + ledger mark, event id only);
 * - (a) load: `RECORD_HANDLED_ONE` as shipped, which also compares the job's envelope with the
 *   archived event and its ledger row in the same statement (one more index lookup and a jsonb
 *   comparison, no extra round trip);
 * - (b) hmac: the baseline statement plus an HMAC-SHA256 of the job data computed by the relay and
 *   checked by the worker (`createHmac` + `timingSafeEqual`, both counted: both are per delivery).
 *
 * One connection, no other load of its own: each round runs BENCH_STATEMENT_CALLS deliveries of a
 * `payments.payment-confirmed`-sized envelope inside one transaction (rolled back, so no fsync and no
 * table growth), the variants alternating round by round; many short rounds, reported as median
 * and minimum, so the other tenants of a shared VM blur the comparison less. Wall time per delivery
 * is the round trip plus PostgreSQL's execution (plus the HMAC for (b)); Node CPU is what this
 * process spent.
 */
import 'reflect-metadata';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { storeCommittedEvents } from './committed-events.js';
import { loadConfig } from '../src/config/index.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { type Envelope, RECORD_HANDLED_ONE } from '../src/outbox/testing.js';
import { isolate } from '../test/support/test-env.js';
import { percentile, table } from './stats.js';

const CALLS = Number(process.env.BENCH_STATEMENT_CALLS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 24);
const SUBSCRIBER = 'debts.settle-debt-on-payment-confirmed';

/** The inbox statement before the authenticity check, as the baseline (same text, own name). */
const BASELINE = {
  name: 'bench_record_handled_one_unchecked',
  text: `WITH fresh AS (
     INSERT INTO outbox_inbox (subscriber, event_id) VALUES ($1::text, $2::uuid)
     ON CONFLICT DO NOTHING
     RETURNING event_id
   ), handled AS (
     UPDATE outbox_delivery d
     SET state = 'handled', handled_at = now(), updated_at = now(),
         attempts = d.attempts + (SELECT count(*)::int FROM fresh)
     WHERE d.subscriber = $1::text AND d.event_id = $2::uuid
       AND (EXISTS (SELECT 1 FROM fresh) OR d.state IN ('pending', 'enqueued'))
   )
   SELECT event_id FROM fresh`,
};

const SECRET = randomBytes(32);

function envelope(i: number): Envelope {
  const id = uuidv7();
  const paymentId = uuidv7();
  return {
    id,
    type: 'payments.payment-confirmed',
    version: 1,
    aggregateType: 'payment',
    aggregateId: paymentId,
    aggregateSeq: 2,
    occurredAt: new Date().toISOString(),
    correlationId: uuidv7(),
    causationId: uuidv7(),
    payload: {
      paymentId,
      purpose: 'debt',
      referenceId: uuidv7(),
      ownerId: `citizen-${i}`,
      amount: 1000 + (i % 5000),
      currency: 'EUR',
      gatewayRef: `sim_${paymentId}`,
      confirmedAt: new Date().toISOString(),
    },
  };
}

/** The committed event and its open ledger row, as the relay leaves them for the handler. */
async function committed(client: pg.Client): Promise<Envelope[]> {
  const envelopes = Array.from({ length: CALLS }, (_, i) => envelope(i));
  await storeCommittedEvents(client, envelopes, SUBSCRIBER, 'critical');
  return envelopes;
}

/** The job data as BullMQ stores it: JSON text, parsed again by the worker. */
const jobText = (e: Envelope) => JSON.stringify({ subscriber: SUBSCRIBER, envelope: e });
const sign = (text: string) => createHmac('sha256', SECRET).update(text).digest();

interface Variant {
  label: string;
  /** One delivery, from the job's JSON text as the worker receives it. */
  deliver: (client: pg.Client, text: string) => Promise<void>;
}

const VARIANTS: Variant[] = [
  {
    label: 'baseline (no check)',
    deliver: async (client, text) => {
      const { envelope: e } = JSON.parse(text) as { envelope: Envelope };
      await client.query({ name: BASELINE.name, text: BASELINE.text, values: [SUBSCRIBER, e.id] });
    },
  },
  {
    label: '(a) compare with outbox_event',
    deliver: async (client, text) => {
      const { envelope: e } = JSON.parse(text) as { envelope: Envelope };
      const { rows } = await client.query<{ genuine: boolean }>({
        name: RECORD_HANDLED_ONE.name,
        text: RECORD_HANDLED_ONE.text,
        values: [SUBSCRIBER, e.id, JSON.stringify(e)],
      });
      if (!rows[0].genuine) throw new Error('bench envelope was judged forged');
    },
  },
  {
    label: '(b) HMAC sign + verify',
    deliver: async (client, text) => {
      // The relay's signature travels beside the data; the worker recomputes it over the same text.
      const signature = sign(text);
      const { envelope: e } = JSON.parse(text) as { envelope: Envelope };
      if (!timingSafeEqual(signature, sign(JSON.stringify({ subscriber: SUBSCRIBER, envelope: e })))) {
        throw new Error('bench signature mismatch');
      }
      await client.query({ name: BASELINE.name, text: BASELINE.text, values: [SUBSCRIBER, e.id] });
    },
  },
];

async function round(client: pg.Client, variant: Variant): Promise<{ wallUs: number; cpuUs: number }> {
  await client.query('BEGIN');
  const texts = (await committed(client)).map(jobText);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const text of texts) await variant.deliver(client, text);
  const wallUs = ((performance.now() - start) * 1000) / texts.length;
  const used = process.cpuUsage(cpu);
  await client.query('ROLLBACK');
  return { wallUs, cpuUs: (used.user + used.system) / texts.length };
}

/** The HMAC alone, per delivery (sign at the relay + verify at the worker), over many envelopes. */
function hmacOnlyUs(): number {
  const texts = Array.from({ length: 20_000 }, (_, i) => jobText(envelope(i)));
  const start = performance.now();
  for (const text of texts) timingSafeEqual(sign(text), sign(text));
  return ((performance.now() - start) * 1000) / texts.length;
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
      for (const [index, variant] of VARIANTS.entries()) {
        const { wallUs, cpuUs } = await round(client, variant);
        // Round 0 warms up every statement (parse, generic plan, JIT of this process) and is dropped.
        if (r > 0) {
          results[index].wall.push(wallUs);
          results[index].cpu.push(cpuUs);
        }
      }
    }
    const median = (values: number[]) => percentile(values, 0.5);
    const baseWall = median(results[0].wall);
    const baseCpu = median(results[0].cpu);
    const rows = VARIANTS.map((variant, i) => [
      variant.label,
      median(results[i].wall).toFixed(0),
      Math.min(...results[i].wall).toFixed(0),
      (median(results[i].wall) - baseWall).toFixed(1),
      median(results[i].cpu).toFixed(1),
      (median(results[i].cpu) - baseCpu).toFixed(1),
    ]);
    process.stdout.write(
      `deliveries: ${CALLS} per round in one rolled-back transaction, ${ROUNDS} alternating rounds, one connection\n\n`,
    );
    process.stdout.write(
      `${table(
        [
          'variant',
          'wall µs/delivery median',
          'min',
          'Δ median vs baseline',
          'Node CPU µs/delivery median',
          'Δ CPU vs baseline',
        ],
        rows,
      )}\n\n`,
    );
    process.stdout.write(`HMAC-SHA256 sign + verify alone: ${hmacOnlyUs().toFixed(1)} µs per delivery\n`);
  } finally {
    await client.end().catch(() => undefined);
    if (ds.isInitialized) await ds.destroy();
    await isolation.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`job-authenticity failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
