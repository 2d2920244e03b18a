/**
 * What one routing solve costs, by method, on random orders of 3 to 14 candidate locations:
 *
 *   npm run bench:routing
 *
 * - enumeration: `enumeratedOptimum`, inline (the exact method used up to ENUMERATION_MAX_CANDIDATES);
 * - highs inline: `HighsMilpSolver` on the calling thread (blocks it for the whole solve);
 * - highs pooled: `PooledMilpSolver` with one worker thread, one solve at a time (adds the hop to the
 *   thread and back), and a burst of BENCH_ROUTING_BURST solves at once, as the reservation consumer
 *   sends them under load;
 * - longest loop stall: the longest the main thread's event loop went without running a 1 ms timer
 *   during the burst, pooled and then the same burst inline (inline, nothing else runs until every
 *   solve of the burst is done).
 *
 * Every instance is solved by every method and the costs are checked equal (enumeration against
 * HiGHS's proven optimum). Figures are µs of wall time per solve: median and p99 over the instances.
 * Run it three times on a shared machine and read min/median/max across runs.
 */
import {
  buildRoutingMilp,
  candidateCount,
  ENUMERATION_MAX_CANDIDATES,
  enumeratedOptimum,
  type MilpSolver,
  type RoutingProblem,
} from '../src/modules/fulfilment/domain/routing/index.js';
import { HighsMilpSolver } from '../src/modules/fulfilment/application/routing/highs-solver.js';
import { PooledMilpSolver } from '../src/modules/fulfilment/application/routing/pooled-milp-solver.js';
import { percentile, table } from './stats.js';

const INSTANCES = Number(process.env.BENCH_ROUTING_INSTANCES ?? 60);
const BURST = Number(process.env.BENCH_ROUTING_BURST ?? 40);
const SIZES = [3, 6, 10, 12, 14];
const SKUS = 4;
const TIME_LIMIT_MS = 10_000;

let seed = 20261203;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

/** An order of SKUS skus × 1–5 units over `locations` stores spread over ~1,000 km, each holding most skus. */
function instance(locations: number): RoutingProblem {
  const skus = Array.from({ length: SKUS }, (_, s) => `SKU-${s}`);
  return {
    lines: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 5) })),
    shipTo: { lat: 24.7, lon: 46.7 },
    locations: Array.from({ length: locations }, (_, l) => ({
      id: `L${l}`,
      lat: 20 + random() * 9,
      lon: 42 + random() * 9,
      handlingCostPerUnit: 50 + Math.floor(random() * 250),
      shippingCostPerKm: 0.5 + random() * 2,
      fixedCostPerShipment: 300 + Math.floor(random() * 2000),
      available: Object.fromEntries(skus.map((sku) => [sku, random() < 0.8 ? Math.floor(random() * 8) : 0])),
    })),
  };
}

async function timed<T>(run: () => Promise<T> | T): Promise<{ value: T; us: number }> {
  const started = performance.now();
  const value = await run();
  return { value, us: (performance.now() - started) * 1000 };
}

/**
 * Starts a 1 ms interval timer and returns a function that stops it and resolves with the longest gap
 * between its runs in ms: how long the event loop was held at a stretch. It lets the timer run once
 * more before stopping, so a loop held until the very end is counted too.
 */
function watchTimerGaps(): () => Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(timer);
    return longest;
  };
}

const us = (value: number) => `${Math.round(value).toLocaleString('en-US')} µs`;

async function main(): Promise<void> {
  const inline = new HighsMilpSolver();
  await inline.warmUp();
  const pooled = new PooledMilpSolver({ threads: 1 });
  await pooled.warmUp();
  const rows: string[][] = [];
  for (const size of SIZES) {
    const problems = Array.from({ length: INSTANCES }, () => instance(size)).filter(
      (problem) => candidateCount(problem) === size && enumeratedOptimum(problem, 64) !== undefined,
    );
    const enumeration: number[] = [];
    const highsInline: number[] = [];
    const highsPooled: number[] = [];
    for (const problem of problems) {
      const exact = await timed(() => enumeratedOptimum(problem, 64)!);
      const model = buildRoutingMilp(problem).model;
      const one = await timed(() => inline.solve(model, { timeLimitMs: TIME_LIMIT_MS }));
      const two = await timed(() => pooled.solve(model, { timeLimitMs: TIME_LIMIT_MS }));
      for (const solution of [one.value, two.value]) {
        if (solution.status !== 'optimal' || Math.round(solution.objective) !== exact.value.cost) {
          throw new Error(`${size} locations: HiGHS ${solution.status} disagrees with enumeration ${exact.value.cost}`);
        }
      }
      enumeration.push(exact.us);
      highsInline.push(one.us);
      highsPooled.push(two.us);
    }
    // A burst: every model at once into the pool, then inline, the main thread's timer delay watched.
    const models = problems.slice(0, BURST).map((problem) => buildRoutingMilp(problem).model);
    const burstOf = async (solver: MilpSolver) => {
      const stopWatching = watchTimerGaps();
      const burst = await timed(() =>
        Promise.all(models.map((model) => solver.solve(model, { timeLimitMs: TIME_LIMIT_MS }))),
      );
      return { perSolveUs: burst.us / models.length, maxDelayMs: await stopWatching() };
    };
    const pooledBurst = await burstOf(pooled);
    const inlineBurst = await burstOf(inline);
    rows.push([
      String(size),
      String(problems.length),
      `${us(percentile(enumeration, 0.5))} / ${us(percentile(enumeration, 0.99))}`,
      `${us(percentile(highsInline, 0.5))} / ${us(percentile(highsInline, 0.99))}`,
      `${us(percentile(highsPooled, 0.5))} / ${us(percentile(highsPooled, 0.99))}`,
      us(pooledBurst.perSolveUs),
      `${pooledBurst.maxDelayMs.toFixed(1)} ms`,
      `${inlineBurst.maxDelayMs.toFixed(1)} ms`,
    ]);
  }
  await pooled.onApplicationShutdown();
  console.log(
    `routing solves, ${SKUS} skus per order, µs per solve (median / p99); enumeration is used up to ${ENUMERATION_MAX_CANDIDATES} candidates\n`,
  );
  console.log(
    table(
      [
        'locations',
        'orders',
        'enumeration',
        'highs inline',
        'highs pooled (1 at a time)',
        'pooled burst, per solve',
        'longest loop stall: pooled burst',
        'inline burst',
      ],
      rows,
    ),
  );
}

await main();
