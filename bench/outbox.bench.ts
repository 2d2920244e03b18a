/**
 * `npm run bench:outbox` — the outbox's throughput and latency against its raw ceilings and a
 * naive dual write, all measured in one process run on one machine (docs/benchmarks.md).
 *
 *   (a) raw ceilings: BullMQ addBulk + no-op worker (jobs/s); PostgreSQL single-row commits/s
 *   (b) pipeline: N business transactions (insert + OutboxWriter.append) from concurrent
 *       producers → relay → lane worker → inbox + idempotent write; events/s, commit→handled
 *   (c) dual write: same insert committed without outbox, then queue.add; plain BullMQ worker
 *       doing the same idempotent write
 *   (d) critical-lane commit→handled p99 for a fixed-rate trickle, unloaded and under a bulk flood;
 *       unloaded runs before and after the floods, and the ratios divide by the lower p99
 *
 * Runs against real PostgreSQL and Redis in a fresh database and Redis prefix (test/support's
 * isolate()), removed at the end. Not part of `npm test`. `--backend redis|postgres|both` (default
 * both: one run per queue backend, then their figures side by side; bench/backends.ts).
 *
 * Knobs (environment): BENCH_EVENTS (5000), BENCH_PRODUCERS (8), BENCH_ROUNDS (2, ABBA order),
 * BENCH_RAW_JOBS (20000), BENCH_RAW_COMMITS (5000), BENCH_TRICKLE (500), BENCH_TRICKLE_RATE (50/s),
 * BENCH_FLOOD (20000), BENCH_FLOOD_TX (500 events per flood transaction), BENCH_QUIET_WAIT_S (60)
 * and BENCH_PHASE_QUIET_WAIT_S (30): how long to wait for a quiet machine before the run and each
 * phase; BENCH_ENV: extra app environment as a query string (e.g. "LANE_CONCURRENCY_BULK=1").
 * Diagnostics: BENCH_TIMELINE=1 (per-second slowest critical events), BENCH_CPU_PROFILE=dir (a V8
 * CPU profile of each (b)/(c) phase).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobsOptions, Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { eventCatalogue } from '../src/event-catalogue.js';
import { OutboxMetrics, usePreparedStatements } from '../src/outbox/testing.js';
import { type Envelope, OutboxWriter } from '../src/outbox/index.js';
import { EventCatalogue, QueueBackend, RedisConnections } from '../src/outbox/host.js';
import { backendOption, type BenchBackend, reportFigures, runOnEachBackend } from './backends.js';
import {
  appendThings,
  BulkHandler,
  bulkSubscription,
  createEffectTable,
  faults,
  ThingObserved,
} from '../test/support/outbox-fixtures.js';
import { startTestApp, type TestApp } from '../test/support/test-app.js';
import {
  AlertRecorder,
  alertSubscription,
  BenchAlertRaised,
  BenchOrderPlaced,
  createBenchTables,
  handledClock,
  OrderProjector,
  projectorSubscription,
  PROJECTION_UPSERT,
  wallNow,
} from './bench-events.js';
import { profiled } from './cpu-profile.js';
import { type CpuShare, cpuShare, snapshot } from './machine-load.js';
import { int, type LatencySummary, mean, ms, percentile, ratio, summarizeLatency, table } from './stats.js';

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number.parseInt(value, 10);
}

const N = envInt('BENCH_EVENTS', 5000);
const PRODUCERS = envInt('BENCH_PRODUCERS', 8);
const ROUNDS = envInt('BENCH_ROUNDS', 2);
const RAW_JOBS = envInt('BENCH_RAW_JOBS', 20_000);
const RAW_COMMITS = envInt('BENCH_RAW_COMMITS', 5000);
const RAW_CHUNK = 500;
const TRICKLE = envInt('BENCH_TRICKLE', 500);
const TRICKLE_RATE = envInt('BENCH_TRICKLE_RATE', 50);
const FLOOD = envInt('BENCH_FLOOD', 20_000);
const FLOOD_TX = envInt('BENCH_FLOOD_TX', 500);
const PHASE_TIMEOUT_MS = 180_000;
const QUIET_WAIT_S = envInt('BENCH_QUIET_WAIT_S', 60);
const QUIET_BUSY_PCT = 15;
const PHASE_QUIET_WAIT_S = envInt('BENCH_PHASE_QUIET_WAIT_S', 30);
/**
 * A phase in which others (other processes, or the hypervisor's steal) used more than this share of
 * the machine is flagged as disturbed.
 */
const DISTURBED_PCT = 10;

const TARGET_PIPELINE_RATIO = 0.8;
const TARGET_FLOOD_RATIO = 2;

const INSERT_ORDER = `INSERT INTO bench_order (id, producer, amount) VALUES ($1, $2, $3)`;

let t: TestApp;
let ds: DataSource;
let writer: OutboxWriter;
let redis: RedisConnections;
let queues: QueueBackend;
let metrics: OutboxMetrics;
let defaultConcurrency: number;

const log = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// helpers

/** Runs `fn(i, producer)` for i in [0, n) from `concurrency` loops sharing one counter. */
async function runProducers(n: number, concurrency: number, fn: (i: number, producer: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, producer) => {
      for (let i = next++; i < n; i = next++) await fn(i, producer);
    }),
  );
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - wallNow();
  if (wait > 0) await sleep(wait);
}

/**
 * A quiet start for each measured phase: wait (briefly) for other work on the machine to pause,
 * vacuum what earlier phases deleted (so autovacuum does not land inside a measurement) and flush
 * dirty pages (so a checkpoint does not either).
 */
async function settle(): Promise<void> {
  await waitForQuiet(PHASE_QUIET_WAIT_S);
  await ds.query('VACUUM (ANALYZE)');
  await ds.query('CHECKPOINT').catch(() => undefined);
  await sleep(300);
}

interface PhaseLoad {
  cpu: CpuShare;
  seconds: number;
  /** Mean and max number of queries waiting for one of the pool's 10 connections. */
  poolWaitingMean: number;
  poolWaitingMax: number;
}

let databaseName = '';

/** Starts measuring who uses the CPUs and how many queries wait for a connection; call the result to stop. */
function startMeter(): () => PhaseLoad {
  const before = snapshot(databaseName);
  const t0 = performance.now();
  const pool = (ds.driver as unknown as { master: { waitingCount: number } }).master;
  let samples = 0;
  let waitingSum = 0;
  let waitingMax = 0;
  const timer = setInterval(() => {
    samples += 1;
    waitingSum += pool.waitingCount;
    waitingMax = Math.max(waitingMax, pool.waitingCount);
  }, 10);
  return () => {
    clearInterval(timer);
    return {
      cpu: cpuShare(before, snapshot(databaseName)),
      seconds: (performance.now() - t0) / 1000,
      poolWaitingMean: samples === 0 ? 0 : waitingSum / samples,
      poolWaitingMax: waitingMax,
    };
  };
}

const pct = (value: number) => `${value.toFixed(0)}%`;

/** CPU milliseconds spent per event by the benchmark process, its PostgreSQL and Redis. */
function costRow(label: string, n: number, { cpu, seconds }: PhaseLoad): string[] {
  const perEvent = (share: number) => ((share / 100) * os.cpus().length * seconds * 1000) / n;
  const node = perEvent(cpu.self);
  const pg = perEvent(cpu.pgBench + cpu.pgShared);
  const red = perEvent(cpu.redis);
  return [label, node.toFixed(2), pg.toFixed(2), red.toFixed(2), (node + pg + red).toFixed(2)];
}

function loadRow(label: string, { cpu, poolWaitingMean, poolWaitingMax }: PhaseLoad): string[] {
  return [
    label,
    pct(cpu.busy),
    pct(cpu.self),
    pct(cpu.pgBench + cpu.pgShared),
    pct(cpu.redis),
    pct(cpu.pgOtherDb + cpu.other),
    pct(cpu.steal),
    `${poolWaitingMean.toFixed(1)} / ${poolWaitingMax}`,
    cpu.pgOtherDb + cpu.other + cpu.steal > DISTURBED_PCT ? 'DISTURBED' : '',
  ];
}

/** Machine CPU over a short idle window, before the benchmark starts anything. */
async function background(seconds: number): Promise<CpuShare> {
  const before = snapshot('-');
  await sleep(seconds * 1000);
  return cpuShare(before, snapshot('-'));
}

/** Waits (up to `maxSeconds`) for a window in which other work leaves the CPUs mostly idle. */
async function waitForQuiet(maxSeconds: number): Promise<CpuShare> {
  const deadline = Date.now() + maxSeconds * 1000;
  let share = await background(3);
  while (share.busy > QUIET_BUSY_PCT && Date.now() < deadline) share = await background(3);
  return share;
}

/** A histogram's observation count and sum so far, for the series with `labels` (all series if none). */
async function histogramTotals(
  histogram: OutboxMetrics['relayBatchSize'],
  labels: Record<string, string> = {},
): Promise<{ count: number; sum: number }> {
  const { name, values } = await histogram.get();
  const mine = values.filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value));
  const total = (suffix: string) => mine.find((v) => v.metricName === `${name}_${suffix}`)?.value ?? 0;
  return { count: total('count'), sum: total('sum') };
}

/** Relay batches so far and the events they carried (the relay's own histogram). */
async function relayBatches(): Promise<{ batches: number; events: number }> {
  const { count, sum } = await histogramTotals(metrics.relayBatchSize);
  return { batches: count, events: sum };
}

/** Group-commit transactions of the projector so far and the deliveries they carried. */
async function projectorGroups(): Promise<{ groups: number; deliveries: number }> {
  const { count, sum } = await histogramTotals(metrics.groupSize, { subscriber: projectorSubscription.name });
  return { groups: count, deliveries: sum };
}

/** The same job options as a lane delivery (lane-queues.ts), for a fair baseline. */
function jobOptions(jobId: string): JobsOptions {
  return {
    jobId,
    attempts: 3,
    backoff: { type: 'exponential', delay: 100, jitter: 0.5 },
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** An envelope shaped like the outbox's, so Redis carries a job of the same size in (a), (c). */
function envelopeFor(
  orderId: string,
  amount: number,
  type = BenchOrderPlaced.type,
): Envelope<{ orderId: string; amount: number }> {
  return {
    id: uuidv7(),
    type,
    version: 1,
    aggregateType: 'bench-order',
    aggregateId: orderId,
    aggregateSeq: 1,
    occurredAt: new Date().toISOString(),
    correlationId: uuidv7(),
    causationId: null,
    payload: { orderId, amount },
  };
}

interface FlowResult {
  label: string;
  eventsPerSec: number;
  produceCommitsPerSec: number;
  latency: LatencySummary;
  latencies: number[];
  load?: PhaseLoad;
}

function flowResult(
  label: string,
  n: number,
  commitAt: Map<string, number>,
  producedAt: number,
  start: number,
): FlowResult {
  const latencies: number[] = [];
  let firstCommit = Infinity;
  let lastHandled = 0;
  for (const [key, committed] of commitAt) {
    const handled = handledClock.at.get(key);
    if (handled === undefined) throw new Error(`${label}: ${key} never handled`);
    latencies.push(handled - committed);
    firstCommit = Math.min(firstCommit, committed);
    lastHandled = Math.max(lastHandled, handled);
  }
  return {
    label,
    eventsPerSec: (n / (lastHandled - firstCommit)) * 1000,
    produceCommitsPerSec: (n / (producedAt - start)) * 1000,
    latency: summarizeLatency(latencies),
    latencies,
  };
}

interface Stages {
  relayWait: LatencySummary;
  claimToHandlerStart: LatencySummary;
  handlerTx: LatencySummary;
}

/**
 * Where the time goes, from the delivery ledger: commit → relay claim (outbox_delivery.created_at
 * is the claim statement's now()), claim → handler transaction start (handled_at is that
 * transaction's now()), handler start → handler commit (the handled clock).
 */
async function stagesOf(
  subscriber: string,
  eventIdByKey: Map<string, string>,
  commitAt: Map<string, number>,
): Promise<Stages> {
  const keys = [...eventIdByKey.keys()];
  const rows: Array<{ event_id: string; claimed: number; started: number }> = await ds.query(
    `SELECT event_id, extract(epoch FROM created_at) * 1000 AS claimed, extract(epoch FROM handled_at) * 1000 AS started
     FROM outbox_delivery WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
    [subscriber, keys.map((k) => eventIdByKey.get(k))],
  );
  const byEvent = new Map(rows.map((r) => [r.event_id, r]));
  const relayWait: number[] = [];
  const claimToStart: number[] = [];
  const handlerTx: number[] = [];
  for (const key of keys) {
    const row = byEvent.get(eventIdByKey.get(key)!);
    if (!row) continue;
    relayWait.push(Number(row.claimed) - commitAt.get(key)!);
    claimToStart.push(Number(row.started) - Number(row.claimed));
    handlerTx.push(handledClock.at.get(key)! - Number(row.started));
  }
  return {
    relayWait: summarizeLatency(relayWait),
    claimToHandlerStart: summarizeLatency(claimToStart),
    handlerTx: summarizeLatency(handlerTx),
  };
}

// ---------------------------------------------------------------------------------------------
// (a) raw ceilings

async function rawQueue(n: number): Promise<{ jobsPerSec: number; addBulkPerSec: number; load: PhaseLoad }> {
  const name = `bench-raw-${uuidv7().slice(-8)}`;
  const queue = queues.queue(name);
  let done = 0;
  let lastDone = 0;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
  const worker = queues.worker(
    name,
    async () => {
      done += 1;
      if (done === n) {
        lastDone = wallNow();
        resolveAll();
      }
    },
    { concurrency: defaultConcurrency },
  );
  await worker.waitUntilReady();
  const jobs = Array.from({ length: n }, (_, i) => {
    const envelope = envelopeFor(`raw-${i}`, i % 1000);
    return { name: 'raw', data: { subscriber: 'bench.raw', envelope }, opts: jobOptions(`${envelope.id}-raw`) };
  });
  const stopMeter = startMeter();
  const start = wallNow();
  for (let i = 0; i < n; i += RAW_CHUNK) await queue.addBulk(jobs.slice(i, i + RAW_CHUNK));
  const enqueued = wallNow();
  await Promise.race([allDone, sleep(PHASE_TIMEOUT_MS).then(() => Promise.reject(new Error('raw queue timed out')))]);
  const load = stopMeter();
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return { jobsPerSec: (n / (lastDone - start)) * 1000, addBulkPerSec: (n / (enqueued - start)) * 1000, load };
}

async function rawCommits(n: number): Promise<{ commitsPerSec: number; load: PhaseLoad }> {
  const stopMeter = startMeter();
  const start = wallNow();
  await runProducers(n, PRODUCERS, (i, producer) =>
    ds.transaction(async (tx) => {
      await tx.query(`INSERT INTO bench_raw (producer, n) VALUES ($1, $2)`, [producer, i]);
    }),
  );
  const commitsPerSec = (n / (wallNow() - start)) * 1000;
  return { commitsPerSec, load: stopMeter() };
}

// ---------------------------------------------------------------------------------------------
// (b) pipeline and (c) dual write

type PipelineResult = FlowResult & { stages: Stages; batches: number; meanRelayBatch: number; meanGroup: number };

async function pipeline(tag: string, n: number): Promise<PipelineResult> {
  handledClock.reset();
  const commitAt = new Map<string, number>();
  const eventIdByKey = new Map<string, string>();
  const relayBefore = await relayBatches();
  const groupsBefore = await projectorGroups();
  const stopMeter = startMeter();
  const start = wallNow();
  await runProducers(n, PRODUCERS, async (i, producer) => {
    const orderId = `${tag}-${i}`;
    const amount = i % 1000;
    const [envelope] = await ds.transaction(async (tx) => {
      await tx.query(INSERT_ORDER, [orderId, producer, amount]);
      return writer.append(tx, { contract: BenchOrderPlaced, aggregateId: orderId, payload: { orderId, amount } });
    });
    commitAt.set(orderId, wallNow());
    eventIdByKey.set(orderId, envelope.id);
  });
  const producedAt = wallNow();
  await handledClock.waitFor(n, PHASE_TIMEOUT_MS);
  const load = stopMeter();
  const relayAfter = await relayBatches();
  const groupsAfter = await projectorGroups();
  const result = flowResult('pipeline', n, commitAt, producedAt, start);
  const batches = relayAfter.batches - relayBefore.batches;
  const meanRelayBatch = (relayAfter.events - relayBefore.events) / batches;
  return {
    ...result,
    load,
    batches,
    meanRelayBatch,
    meanGroup: (groupsAfter.deliveries - groupsBefore.deliveries) / (groupsAfter.groups - groupsBefore.groups),
    stages: await stagesOf(projectorSubscription.name, eventIdByKey, commitAt),
  };
}

let dualQueue: Queue;
let dualWorker: Worker;

async function startDualWrite(): Promise<void> {
  const name = 'bench-dual-write';
  dualQueue = queues.queue(name);
  dualWorker = queues.worker(
    name,
    async (job) => {
      const { envelope } = job.data as { envelope: Envelope<{ orderId: string; amount: number }> };
      await ds.query(PROJECTION_UPSERT, [envelope.id, envelope.payload.orderId, envelope.payload.amount]);
      handledClock.mark(envelope.payload.orderId);
    },
    { concurrency: defaultConcurrency },
  );
  await dualWorker.waitUntilReady();
}

async function dualWrite(tag: string, n: number): Promise<FlowResult> {
  handledClock.reset();
  const commitAt = new Map<string, number>();
  const stopMeter = startMeter();
  const start = wallNow();
  await runProducers(n, PRODUCERS, async (i, producer) => {
    const orderId = `${tag}-${i}`;
    const amount = i % 1000;
    await ds.transaction(async (tx) => {
      await tx.query(INSERT_ORDER, [orderId, producer, amount]);
    });
    commitAt.set(orderId, wallNow());
    const envelope = envelopeFor(orderId, amount);
    await dualQueue.add(
      'bench.dual-projector',
      { subscriber: 'bench.dual-projector', envelope },
      jobOptions(`${envelope.id}-dual`),
    );
  });
  const producedAt = wallNow();
  await handledClock.waitFor(n, PHASE_TIMEOUT_MS);
  const load = stopMeter();
  return { ...flowResult('dual write', n, commitAt, producedAt, start), load };
}

// ---------------------------------------------------------------------------------------------
// (d) critical lane, unloaded and under a bulk flood

type FloodMode = 'none' | 'burst' | 'paced';

interface TrickleResult {
  mode: FloodMode;
  latency: LatencySummary;
  stages: Stages;
  /** Load over the trickle window only. */
  load: PhaseLoad;
  flood?: {
    appendedMs: number;
    relayedMs: number;
    handledMs: number;
    trickleDuringFlood: number;
    /** p99 of the trickle events committed while the flood was still being relayed. */
    p99DuringRelay: number;
  };
}

async function appendFlood(tag: string, mode: FloodMode, t0: number, windowMs: number): Promise<void> {
  const transactions = Math.ceil(FLOOD / FLOOD_TX);
  for (let k = 0; k < transactions; k += 1) {
    if (mode === 'paced') await sleepUntil(t0 + (k * windowMs) / transactions);
    await appendThings(ds, writer, Math.min(FLOOD_TX, FLOOD - k * FLOOD_TX), {
      contract: ThingObserved,
      aggregateId: `${tag}-${k}`,
      startN: k * FLOOD_TX,
    });
  }
}

/** Diagnostic: the event loop's worst delay per second (a 1 ms timer's lateness), until called. */
function startLagSampler(): () => string[] {
  const worst: number[] = [];
  const start = performance.now();
  let expected = start + 1;
  const timer = setInterval(() => {
    const now = performance.now();
    const second = Math.floor((now - start) / 1000);
    worst[second] = Math.max(worst[second] ?? 0, now - expected);
    expected = now + 1;
  }, 1);
  return () => {
    clearInterval(timer);
    return Array.from(worst, (v) => (v ?? 0).toFixed(0));
  };
}

/**
 * Diagnostic (BENCH_TIMELINE=1): per second of the trickle, how many events and the slowest three,
 * each split into commit → claimed / claimed → handler start / handler transaction.
 */
async function logTimeline(
  mode: FloodMode,
  t0: number,
  commitAt: Map<string, number>,
  eventIdByKey: Map<string, string>,
): Promise<void> {
  const rows: Array<{ event_id: string; claimed: number; started: number }> = await ds.query(
    `SELECT event_id, extract(epoch FROM created_at) * 1000 AS claimed, extract(epoch FROM handled_at) * 1000 AS started
     FROM outbox_delivery WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
    [alertSubscription.name, [...eventIdByKey.values()]],
  );
  const ledger = new Map(rows.map((row) => [row.event_id, row]));
  const buckets = new Map<number, Array<{ key: string; latency: number }>>();
  for (const [key, committed] of commitAt) {
    const second = Math.floor((committed - t0) / 1000);
    const list = buckets.get(second) ?? [];
    list.push({ key, latency: handledClock.at.get(key)! - committed });
    buckets.set(second, list);
  }
  for (const [second, list] of [...buckets].sort((a, b) => a[0] - b[0])) {
    const slowest = list.sort((a, b) => b.latency - a.latency).slice(0, 3);
    const split = slowest.map(({ key, latency }) => {
      const row = ledger.get(eventIdByKey.get(key)!);
      if (!row) return latency.toFixed(1);
      const committed = commitAt.get(key)!;
      const parts = [
        Number(row.claimed) - committed,
        Number(row.started) - Number(row.claimed),
        handledClock.at.get(key)! - Number(row.started),
      ];
      return `${latency.toFixed(1)} (${parts.map((v) => v.toFixed(1)).join('+')})`;
    });
    log(`    ${mode} s${second}: n=${list.length} slowest ${split.join(' / ')} ms`);
  }
}

async function trickle(tag: string, count: number, mode: FloodMode): Promise<TrickleResult> {
  const lag = process.env.BENCH_TIMELINE ? startLagSampler() : undefined;
  handledClock.reset();
  faults.bulk.reset();
  const commitAt = new Map<string, number>();
  const eventIdByKey = new Map<string, string>();
  const intervalMs = 1000 / TRICKLE_RATE;
  const windowMs = count * intervalMs;
  const t0 = wallNow() + 20;
  const phaseStartIso = new Date(t0 - 1000).toISOString();
  const stopMeter = startMeter();

  let floodAppendedAt = Number.NaN;
  const flood =
    mode === 'none'
      ? Promise.resolve()
      : appendFlood(tag, mode, t0, windowMs * 0.8).then(() => {
          floodAppendedAt = wallNow();
        });

  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    await sleepUntil(t0 + i * intervalMs);
    const orderId = `${tag}-${i}`;
    inflight.push(
      ds
        .transaction(async (tx) => {
          await tx.query(INSERT_ORDER, [orderId, 0, i]);
          return writer.append(tx, {
            contract: BenchAlertRaised,
            aggregateId: orderId,
            payload: { orderId, amount: i },
          });
        })
        .then(([envelope]) => {
          commitAt.set(orderId, wallNow());
          eventIdByKey.set(orderId, envelope.id);
        }),
    );
  }
  await Promise.all(inflight);
  await handledClock.waitFor(count, PHASE_TIMEOUT_MS);
  const load = stopMeter();
  await flood;

  const latencies = [...commitAt].map(([key, committed]) => handledClock.at.get(key)! - committed);
  if (process.env.BENCH_TIMELINE) await logTimeline(mode, t0, commitAt, eventIdByKey);
  if (lag) log(`    ${mode} event-loop lag max per second (ms): ${lag().join(' ')}`);
  const result: TrickleResult = {
    mode,
    latency: summarizeLatency(latencies),
    stages: await stagesOf(alertSubscription.name, eventIdByKey, commitAt),
    load,
  };
  if (mode !== 'none') {
    // Wait for every bulk delivery's handler transaction to commit (the ledger says so).
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    let row: { n: number; relayed: string; handled: string };
    for (;;) {
      [row] = await ds.query(
        `SELECT count(*)::int AS n, extract(epoch FROM max(created_at)) * 1000 AS relayed,
                extract(epoch FROM max(handled_at)) * 1000 AS handled
         FROM outbox_delivery WHERE subscriber = $1 AND state = 'handled' AND created_at >= $2`,
        [bulkSubscription.name, phaseStartIso],
      );
      if (row.n >= FLOOD || Date.now() > deadline) break;
      await sleep(250);
    }
    if (row.n !== FLOOD) throw new Error(`flood: ${row.n}/${FLOOD} bulk deliveries handled`);
    const relayedAt = Number(row.relayed);
    const handledAt = Number(row.handled);
    const duringRelay = [...commitAt]
      .filter(([, c]) => c <= relayedAt)
      .map(([key, c]) => handledClock.at.get(key)! - c);
    result.flood = {
      appendedMs: floodAppendedAt - t0,
      relayedMs: relayedAt - t0,
      handledMs: handledAt - t0,
      trickleDuringFlood: [...commitAt.values()].filter((c) => c <= handledAt).length,
      p99DuringRelay: percentile(duringRelay, 0.99),
    };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// the run

function describeMachine(): string[] {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  return [
    `cpu: ${os.cpus().length} × ${cpuModel}  |  memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB  |  ${os.type()} ${os.release()}`,
    `node ${process.version}`,
  ];
}

async function serverVersions(): Promise<string> {
  const [{ server_version }] = await ds.query(`SHOW server_version`);
  if (queues.kind === 'postgres')
    return `PostgreSQL ${server_version}  |  queues on PostgreSQL (BullMQ's PostgreSQL backend)`;
  const info = await redis.producer().info('server');
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return `PostgreSQL ${server_version}  |  Redis ${redisVersion}`;
}

async function main(backend: BenchBackend): Promise<void> {
  // startTestApp's isolate() reads the backend from here, as the test suites do.
  process.env.TEST_QUEUE_BACKEND = backend;
  const began = wallNow();
  const quiet = await waitForQuiet(QUIET_WAIT_S);
  t = await startTestApp({
    // The app's own catalogue plus the benchmark's: the modules' handlers are part of every app.
    catalogue: new EventCatalogue(
      [...eventCatalogue.allContracts(), BenchOrderPlaced, BenchAlertRaised, ThingObserved],
      [...eventCatalogue.allSubscriptions(), projectorSubscription, alertSubscription, bulkSubscription],
    ),
    providers: [OrderProjector, AlertRecorder, BulkHandler],
    env: process.env.BENCH_ENV ? Object.fromEntries(new URLSearchParams(process.env.BENCH_ENV)) : {},
  });
  try {
    ds = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    redis = t.app.get(RedisConnections);
    queues = t.app.get(QueueBackend);
    metrics = t.app.get(OutboxMetrics);
    databaseName = new URL(t.config.databaseUrl).pathname.slice(1);
    defaultConcurrency = t.config.outbox.laneConcurrency.default;
    await createBenchTables(ds);
    await createEffectTable(ds);
    await startDualWrite();

    const lanes = t.config.outbox.laneConcurrency;
    log(`=== Debts Hub outbox benchmark (queue backend: ${backend}) ===`);
    for (const line of describeMachine()) log(line);
    log(await serverVersions());
    log(
      `machine before start (3 s, nothing of ours running): ${pct(quiet.busy)} busy (steal ${pct(quiet.steal)})` +
        (quiet.busy > QUIET_BUSY_PCT ? `  <-- NOT QUIET: other work is running, figures will be disturbed` : ''),
    );
    log(
      `settings: N=${N} events, ${PRODUCERS} producers, ${ROUNDS} rounds (ABBA), DB pool ${t.config.dbPoolSize}, relay batch ${t.config.outbox.relayBatchSize}, ` +
        `lane concurrency critical/default/bulk ${lanes.critical}/${lanes.default}/${lanes.bulk}`,
    );
    log(
      `          raw: ${RAW_JOBS} jobs (addBulk ×${RAW_CHUNK}), ${RAW_COMMITS} commits; trickle ${TRICKLE} critical events at ${TRICKLE_RATE}/s; ` +
        `flood ${FLOOD} bulk events in transactions of ${FLOOD_TX}`,
    );
    log();

    log('warming up…');
    await rawQueue(2000);
    await rawCommits(1000);
    await dualWrite('warm-dual', 1000);
    await pipeline('warm-pipe', 1000);
    await trickle('warm-crit', 100, 'none');

    log('(a) raw ceilings…');
    await settle();
    const queueCeiling = await rawQueue(RAW_JOBS);
    await settle();
    const commitCeiling = await rawCommits(RAW_COMMITS);

    log('(b)/(c) pipeline and dual write…');
    const pipes: PipelineResult[] = [];
    const duals: FlowResult[] = [];
    // The same pipeline with every outbox statement unnamed (DB_PREPARED_STATEMENTS=false, as behind
    // PgBouncer in transaction mode): each one is parsed and planned again (ADR 0038).
    const unnamedPipes: PipelineResult[] = [];
    const unnamedPipeline = async (tag: string) => {
      usePreparedStatements(ds, false);
      try {
        return await pipeline(tag, N);
      } finally {
        usePreparedStatements(ds, true);
      }
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      // ABBA: dual, pipeline, pipeline, dual, … so neither always runs on the larger tables.
      const order = round % 2 === 0 ? ['dual', 'pipe', 'unnamed'] : ['unnamed', 'pipe', 'dual'];
      for (const which of order) {
        await settle();
        if (which === 'dual') duals.push(await profiled(`dual-${round}`, () => dualWrite(`dual-${round}`, N)));
        else if (which === 'pipe') pipes.push(await profiled(`pipe-${round}`, () => pipeline(`pipe-${round}`, N)));
        else unnamedPipes.push(await profiled(`unnamed-${round}`, () => unnamedPipeline(`unnamed-${round}`)));
        const last = which === 'dual' ? duals.at(-1)! : which === 'pipe' ? pipes.at(-1)! : unnamedPipes.at(-1)!;
        log(
          `    round ${round + 1} ${last.label.padEnd(10)} ${int(last.eventsPerSec)} events/s, p50 ${ms(last.latency.p50)}, p99 ${ms(last.latency.p99)}`,
        );
      }
    }

    log('(d) critical lane: unloaded, burst flood, paced flood, unloaded again…');
    await settle();
    const unloaded = await trickle('crit-quiet', TRICKLE, 'none');
    log(`    unloaded     p99 ${ms(unloaded.latency.p99)}`);
    await settle();
    const burst = await trickle('crit-burst', TRICKLE, 'burst');
    log(`    burst flood  p99 ${ms(burst.latency.p99)}`);
    await settle();
    const paced = await trickle('crit-paced', TRICKLE, 'paced');
    log(`    paced flood  p99 ${ms(paced.latency.p99)}`);
    await settle();
    const unloadedAgain = await trickle('crit-quiet-2', TRICKLE, 'none');
    log(`    unloaded     p99 ${ms(unloadedAgain.latency.p99)} (again, after the floods)`);
    // The ratios divide by the lower of the two unloaded p99s: one stall in a single unloaded run
    // would otherwise inflate the baseline and flatter the ratio.
    const baseline = unloadedAgain.latency.p99 < unloaded.latency.p99 ? unloadedAgain : unloaded;

    // ------------------------------------------------------------------- report
    const pipeRate = mean(pipes.map((p) => p.eventsPerSec));
    const dualRate = mean(duals.map((d) => d.eventsPerSec));
    const pipeLatency = summarizeLatency(pipes.flatMap((p) => p.latencies));
    const dualLatency = summarizeLatency(duals.flatMap((d) => d.latencies));
    const pipelineRatio = pipeRate / dualRate;
    const floodRatio = burst.latency.p99 / baseline.latency.p99;
    const pacedRatio = paced.latency.p99 / baseline.latency.p99;
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

    log();
    log(
      table(
        ['measurement', 'throughput', 'p50', 'p99', 'max'],
        [
          [
            `(a) BullMQ addBulk + no-op worker (conc ${defaultConcurrency})`,
            `${int(queueCeiling.jobsPerSec)} jobs/s`,
            '',
            '',
            '',
          ],
          ['    addBulk alone (chunks of 500)', `${int(queueCeiling.addBulkPerSec)} jobs/s`, '', '', ''],
          [`(a) PostgreSQL 1-row tx, ${PRODUCERS} conns`, `${int(commitCeiling.commitsPerSec)} commits/s`, '', '', ''],
          [
            `(b) pipeline (outbox), mean of ${pipes.length}`,
            `${int(pipeRate)} events/s`,
            ms(pipeLatency.p50),
            ms(pipeLatency.p99),
            ms(pipeLatency.max),
          ],
          ...pipes.map((p, i) => [
            `    round ${i + 1} (producers alone ${int(p.produceCommitsPerSec)} tx/s, relay ${int(p.batches)} batches of ${p.meanRelayBatch.toFixed(1)}, handler groups of ${p.meanGroup.toFixed(1)})`,
            `${int(p.eventsPerSec)} events/s`,
            ms(p.latency.p50),
            ms(p.latency.p99),
            ms(p.latency.max),
          ]),
          [
            `(b) pipeline, unnamed statements (DB_PREPARED_STATEMENTS=false), mean of ${unnamedPipes.length}`,
            `${int(mean(unnamedPipes.map((p) => p.eventsPerSec)))} events/s`,
            ms(summarizeLatency(unnamedPipes.flatMap((p) => p.latencies)).p50),
            ms(summarizeLatency(unnamedPipes.flatMap((p) => p.latencies)).p99),
            ms(summarizeLatency(unnamedPipes.flatMap((p) => p.latencies)).max),
          ],
          [
            `(c) dual write (commit, queue.add), mean of ${duals.length}`,
            `${int(dualRate)} events/s`,
            ms(dualLatency.p50),
            ms(dualLatency.p99),
            ms(dualLatency.max),
          ],
          ...duals.map((d, i) => [
            `    round ${i + 1} (producers alone ${int(d.produceCommitsPerSec)} tx/s)`,
            `${int(d.eventsPerSec)} events/s`,
            ms(d.latency.p50),
            ms(d.latency.p99),
            ms(d.latency.max),
          ]),
          ...(
            [
              ['before the floods', unloaded],
              ['after the floods', unloadedAgain],
            ] as const
          ).map(([when, r]) => [
            `(d) critical, unloaded ${when} (${TRICKLE} @ ${TRICKLE_RATE}/s)${r === baseline ? ' *' : ''}`,
            '',
            ms(r.latency.p50),
            ms(r.latency.p99),
            ms(r.latency.max),
          ]),
          [`(d) critical, under burst flood`, '', ms(burst.latency.p50), ms(burst.latency.p99), ms(burst.latency.max)],
          [
            `    diagnostic: under paced flood`,
            '',
            ms(paced.latency.p50),
            ms(paced.latency.p99),
            ms(paced.latency.max),
          ],
        ],
      ),
    );
    log();
    log('where a delivery spends its time (commit → relay claim → handler start → handler commit):');
    const stageRow = (label: string, s: Stages) => [
      label,
      `${ms(s.relayWait.p50)} / ${ms(s.relayWait.p99)}`,
      `${ms(s.claimToHandlerStart.p50)} / ${ms(s.claimToHandlerStart.p99)}`,
      `${ms(s.handlerTx.p50)} / ${ms(s.handlerTx.p99)}`,
    ];
    log(
      table(
        ['p50 / p99', 'commit → claimed', 'claimed → handler start', 'handler tx'],
        [
          ...pipes.map((p, i) => stageRow(`pipeline round ${i + 1}`, p.stages)),
          stageRow('critical unloaded', unloaded.stages),
          stageRow('critical unloaded again', unloadedAgain.stages),
          stageRow('critical burst flood', burst.stages),
          stageRow('critical paced flood', paced.stages),
        ],
      ),
    );
    log();
    log('CPU during each measurement, % of the whole machine (2 vCPUs = 100%); "others" = other databases\' backends');
    log(
      'and other processes (tests, builds) on this shared machine; "steal" = CPU time the hypervisor gave to other VMs;',
    );
    log('both are disturbance; pool = queries waiting for a connection:');
    log(
      table(
        [
          'phase',
          'busy',
          'bench node',
          'PostgreSQL (ours + shared)',
          'Redis',
          'others',
          'steal',
          'pool wait avg / max',
          '',
        ],
        [
          loadRow('(a) BullMQ raw', queueCeiling.load),
          loadRow('(a) PostgreSQL raw', commitCeiling.load),
          ...pipes.map((p, i) => loadRow(`(b) pipeline round ${i + 1}`, p.load!)),
          ...duals.map((d, i) => loadRow(`(c) dual write round ${i + 1}`, d.load!)),
          loadRow('(d) critical unloaded', unloaded.load),
          loadRow('(d) critical unloaded again', unloadedAgain.load),
          loadRow('(d) critical burst flood', burst.load),
          loadRow('(d) critical paced flood', paced.load),
        ],
      ),
    );
    log();
    log('CPU milliseconds per event (b)/(c), from the shares above:');
    log(
      table(
        ['phase', 'node', 'PostgreSQL', 'Redis', 'total'],
        [
          ...pipes.map((p, i) => costRow(`(b) pipeline round ${i + 1}`, N, p.load!)),
          ...duals.map((d, i) => costRow(`(c) dual write round ${i + 1}`, N, d.load!)),
        ],
      ),
    );
    log();
    for (const [label, r] of [
      ['burst', burst],
      ['paced', paced],
    ] as const) {
      const f = r.flood!;
      log(
        `${label} flood: ${int(FLOOD)} bulk events appended by ${int(f.appendedMs)} ms, relayed by ${int(f.relayedMs)} ms, ` +
          `handled by ${int(f.handledMs)} ms (trickle window ${int(TRICKLE * (1000 / TRICKLE_RATE))} ms); ` +
          `${f.trickleDuringFlood}/${TRICKLE} critical events committed before the flood was handled; ` +
          `critical p99 of those committed while the flood was being relayed: ${ms(f.p99DuringRelay)}`,
      );
    }
    log();
    log(
      table(
        ['ratio', 'value', 'target', 'result'],
        [
          [
            'pipeline ÷ dual write (events/s)',
            ratio(pipelineRatio),
            `≥ ${TARGET_PIPELINE_RATIO.toFixed(2)}×`,
            verdict(pipelineRatio >= TARGET_PIPELINE_RATIO),
          ],
          [
            'critical p99 burst flood ÷ unloaded *',
            ratio(floodRatio),
            `≤ ${TARGET_FLOOD_RATIO.toFixed(2)}×`,
            verdict(floodRatio <= TARGET_FLOOD_RATIO),
          ],
          [
            '  (diagnostic) paced flood ÷ unloaded *',
            ratio(pacedRatio),
            `≤ ${TARGET_FLOOD_RATIO.toFixed(2)}×`,
            verdict(pacedRatio <= TARGET_FLOOD_RATIO),
          ],
          ['pipeline ÷ raw PostgreSQL commits', ratio(pipeRate / commitCeiling.commitsPerSec), '', ''],
          ['pipeline ÷ raw BullMQ jobs', ratio(pipeRate / queueCeiling.jobsPerSec), '', ''],
        ],
      ),
    );
    const spread = Math.max(unloaded.latency.p99, unloadedAgain.latency.p99) / baseline.latency.p99;
    log(
      `* divided by the lower of the two unloaded p99s (${ms(baseline.latency.p99)})` +
        (spread > 1.5 ? `; the other was ${ratio(spread)} of it: one unloaded run was disturbed` : ''),
    );
    // Every business event of (b) (prepared and unnamed), (c), (d) and the warm-up wrote its
    // projection row exactly once.
    const expected = 1000 + 1000 + 100 + ROUNDS * 3 * N + 4 * TRICKLE;
    const [{ rows }] = await ds.query(`SELECT count(*)::int AS rows FROM bench_projection`);
    log();
    log(
      `check: bench_projection holds ${rows} rows for ${expected} events ${rows === expected ? '(ok)' : '(MISMATCH)'}`,
    );
    log(`total run time ${((wallNow() - began) / 1000).toFixed(0)} s`);
    reportFigures(backend, [
      { figure: '(a) BullMQ addBulk + no-op worker', unit: 'jobs/s', value: queueCeiling.jobsPerSec },
      { figure: '(a) addBulk alone', unit: 'jobs/s', value: queueCeiling.addBulkPerSec },
      { figure: '(a) PostgreSQL 1-row tx', unit: 'commits/s', value: commitCeiling.commitsPerSec },
      { figure: '(b) pipeline (outbox)', unit: 'events/s', value: pipeRate },
      { figure: '(b) pipeline p50', unit: 'ms', value: pipeLatency.p50 },
      { figure: '(b) pipeline p99', unit: 'ms', value: pipeLatency.p99 },
      { figure: '(c) dual write', unit: 'events/s', value: dualRate },
      { figure: '(c) dual write p99', unit: 'ms', value: dualLatency.p99 },
      { figure: '(d) critical unloaded p99 (lower of two)', unit: 'ms', value: baseline.latency.p99 },
      { figure: '(d) critical under burst flood p99', unit: 'ms', value: burst.latency.p99 },
      { figure: 'pipeline ÷ dual write', unit: '×', value: pipelineRatio },
      { figure: 'burst flood ÷ unloaded p99', unit: '×', value: floodRatio },
    ]);
  } finally {
    await dualWorker?.close().catch(() => undefined);
    await dualQueue?.close().catch(() => undefined);
    await t.close();
  }
}

const backend = backendOption();
(backend === 'both' ? runOnEachBackend('bench:outbox') : main(backend).then(() => 0)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
