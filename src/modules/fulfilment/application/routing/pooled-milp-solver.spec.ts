import type { Piscina } from 'piscina';
import {
  buildRoutingMilp,
  greedyAllocations,
  optimiseRouting,
  planCost,
  planViolations,
  type RoutingProblem,
} from '../../domain/routing/index.js';
import { HighsMilpSolver } from './highs-solver.js';
import { PooledMilpSolver } from './pooled-milp-solver.js';

/** An order over 150 locations × 30 skus: HiGHS works on it for a good while before proving anything. */
function largeProblem(): RoutingProblem {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const skus = Array.from({ length: 30 }, (_, s) => `SKU-${s}`);
  return {
    lines: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 20) })),
    shipTo: { lat: 24.7, lon: 46.7 },
    locations: Array.from({ length: 150 }, (_, l) => ({
      id: `L${l}`,
      lat: 15 + random() * 20,
      lon: 35 + random() * 20,
      handlingCostPerUnit: Math.floor(random() * 300),
      shippingCostPerKm: random() * 3,
      fixedCostPerShipment: Math.floor(random() * 3000),
      available: Object.fromEntries(skus.map((sku) => [sku, Math.floor(random() * 30)])),
    })),
  };
}

/** Three stores at the door: the optimum takes A from `b` and B from `c` (cost 3 + 2 + 2 × 10 = 25). */
const small: RoutingProblem = {
  lines: [
    { sku: 'A', quantity: 1 },
    { sku: 'B', quantity: 1 },
  ],
  shipTo: { lat: 0, lon: 0 },
  locations: [
    {
      id: 'a',
      lat: 0,
      lon: 0,
      handlingCostPerUnit: 0,
      shippingCostPerKm: 0,
      fixedCostPerShipment: 40,
      available: { A: 1, B: 1 },
    },
    {
      id: 'b',
      lat: 0,
      lon: 0,
      handlingCostPerUnit: 10,
      shippingCostPerKm: 0,
      fixedCostPerShipment: 3,
      available: { A: 1 },
    },
    {
      id: 'c',
      lat: 0,
      lon: 0,
      handlingCostPerUnit: 10,
      shippingCostPerKm: 0,
      fixedCostPerShipment: 2,
      available: { B: 1 },
    },
  ],
};

/** Resolves after one turn of the timers phase of the event loop. */
const nextTimer = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Whether `promise` is still pending once the event loop has run a timer. */
async function pendingAfterATimer(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await nextTimer();
  return !settled;
}

const threadsOf = (solver: PooledMilpSolver) => (solver as unknown as { pool: Piscina }).pool.threads;

describe('PooledMilpSolver', () => {
  const solver = new PooledMilpSolver({ threads: 1 });
  afterAll(() => solver.onApplicationShutdown());

  it('starts no thread before its first solve, then solves in one as HiGHS does inline', async () => {
    expect(solver.threadCount).toBe(0);
    const result = await optimiseRouting(small, { solver, timeLimitMs: 5000, enumerateUpTo: 0 });
    expect(result).toMatchObject({ kind: 'planned', solver: 'milp', method: 'solver', optimal: true, cost: 25 });
    expect(result.kind === 'planned' && result.allocations).toEqual([
      { locationId: 'b', sku: 'A', quantity: 1 },
      { locationId: 'c', sku: 'B', quantity: 1 },
    ]);
    expect(solver.threadCount).toBe(1);

    const model = buildRoutingMilp(small).model;
    const pooled = await solver.solve(model, { timeLimitMs: 5000 });
    const inline = await new HighsMilpSolver().solve(model, { timeLimitMs: 5000 });
    expect(pooled).toEqual(inline);
    expect(pooled.status === 'optimal' && pooled.values).toBeInstanceOf(Map);
  });

  it('keeps the event loop turning while a solve runs, where the inline solver holds it', async () => {
    const model = buildRoutingMilp(largeProblem()).model;
    const options = { timeLimitMs: 1500 };
    await solver.warmUp();

    const pooled = solver.solve(model, options);
    // Timers run while the thread solves: several turns of the loop pass before the answer comes.
    for (let turn = 0; turn < 3; turn++) expect(await pendingAfterATimer(pooled)).toBe(true);
    expect((await pooled).status).not.toBe('infeasible');

    const inline = new HighsMilpSolver();
    await inline.warmUp();
    // Inline, the solve has finished before the event loop gets to run a single timer.
    expect(await pendingAfterATimer(inline.solve(model, options))).toBe(false);
  });

  it('rejects the solve whose thread dies, so the order is routed greedily, and carries on with a new thread', async () => {
    const problem = largeProblem();
    await solver.warmUp();
    const routing = optimiseRouting(problem, { solver, timeLimitMs: 5000, enumerateUpTo: 0 });
    await nextTimer();
    await Promise.all(threadsOf(solver).map((thread) => thread.terminate()));
    const result = await routing;
    if (result.kind !== 'planned') throw new Error('expected a plan');
    expect(result.solver).toBe('greedy');
    expect(result.fallbackReason).toMatch(/^highs \(worker pool\) threw: /);
    expect(planViolations(problem, result.allocations)).toEqual([]);
    expect(result.cost).toBe(planCost(problem, greedyAllocations(problem)));

    expect(await optimiseRouting(small, { solver, timeLimitMs: 5000, enumerateUpTo: 0 })).toMatchObject({
      solver: 'milp',
      cost: 25,
    });
  });

  it('rejects a solve when the queue is full', async () => {
    const crowded = new PooledMilpSolver({ threads: 1, maxQueue: 1 });
    try {
      await crowded.warmUp();
      const model = buildRoutingMilp(largeProblem()).model;
      const running = crowded.solve(model, { timeLimitMs: 200 });
      const queued = crowded.solve(model, { timeLimitMs: 200 });
      await expect(crowded.solve(model, { timeLimitMs: 200 })).rejects.toThrow(/queue/i);
      await Promise.all([running, queued]);
    } finally {
      await crowded.onApplicationShutdown();
    }
  });

  it('stops its threads at application shutdown: solves in flight and later ones reject', async () => {
    const stopping = new PooledMilpSolver({ threads: 2 });
    await stopping.warmUp();
    expect(stopping.threadCount).toBe(2);
    const inFlight = stopping.solve(buildRoutingMilp(largeProblem()).model, { timeLimitMs: 5000 });
    inFlight.catch(() => undefined);
    await stopping.onApplicationShutdown();
    await expect(inFlight).rejects.toThrow();
    expect(stopping.threadCount).toBe(0);
    await expect(stopping.solve(buildRoutingMilp(small).model, { timeLimitMs: 100 })).rejects.toThrow(/stopped/);
  });

  it('refuses a pool without threads', () => {
    expect(() => new PooledMilpSolver({ threads: 0 })).toThrow(RangeError);
  });
});
