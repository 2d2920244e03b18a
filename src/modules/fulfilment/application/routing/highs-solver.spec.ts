import fc from 'fast-check';
import type { Highs } from 'highs';
import type { Piscina } from 'piscina';
import { bruteForceOptimum } from '../../domain/routing/brute-force-router.js';
import {
  buildRoutingMilp,
  enumeratedOptimum,
  greedyAllocations,
  optimiseRouting,
  planCost,
  planViolations,
  type MilpModel,
  type RoutingProblem,
  type StockLocation,
} from '../../domain/routing/index.js';
import { HighsMilpSolver, loadHighs, type HighsLoader } from './highs-solver.js';
import { PooledMilpSolver } from './pooled-milp-solver.js';

/** One solver for the whole file, as in production: the WASM module loads once. */
const highs = new HighsMilpSolver();

/** A seeded random order over `locations` stores × `skus` skus: HiGHS works on it for a good while. */
function largeProblem(locations: number, skus: number): RoutingProblem {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const names = Array.from({ length: skus }, (_, s) => `SKU-${s}`);
  return {
    lines: names.map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 20) })),
    shipTo: { lat: 24.7, lon: 46.7 },
    locations: Array.from({ length: locations }, (_, l) => ({
      id: `L${l}`,
      lat: 15 + random() * 20,
      lon: 35 + random() * 20,
      handlingCostPerUnit: Math.floor(random() * 300),
      shippingCostPerKm: random() * 3,
      fixedCostPerShipment: Math.floor(random() * 3000),
      available: Object.fromEntries(names.map((sku) => [sku, Math.floor(random() * 30)])),
    })),
  };
}

/** minimise 3a + 2b + 10u  s.t.  a + b = 5, a − 4u ≤ 0, b ≤ 3, a ≤ 4; a, b integer, u binary → a=2, b=3, u=1, 22. */
const tiny: MilpModel = {
  variables: [
    { name: 'a', type: 'integer', lower: 0, upper: 4, cost: 3 },
    { name: 'b', type: 'integer', lower: 0, upper: 3, cost: 2 },
    { name: 'u', type: 'binary', lower: 0, upper: 1, cost: 10 },
  ],
  constraints: [
    {
      name: 'total',
      terms: [
        { variable: 'a', coefficient: 1 },
        { variable: 'b', coefficient: 1 },
      ],
      relation: '=',
      rhs: 5,
    },
    {
      name: 'link',
      terms: [
        { variable: 'a', coefficient: 1 },
        { variable: 'u', coefficient: -4 },
      ],
      relation: '<=',
      rhs: 0,
    },
  ],
};

describe('HighsMilpSolver', () => {
  it('solves a MILP to proven optimality', async () => {
    const solution = await highs.solve(tiny, { timeLimitMs: 5000 });
    expect(solution.status).toBe('optimal');
    if (solution.status !== 'optimal') return;
    expect(solution.objective).toBe(22);
    expect([...solution.values]).toEqual([
      ['a', 2],
      ['b', 3],
      ['u', 1],
    ]);
  });

  it('reports a model with no integer solution as infeasible', async () => {
    const impossible: MilpModel = {
      ...tiny,
      constraints: [
        ...tiny.constraints,
        { name: 'cap', terms: [{ variable: 'b', coefficient: 1 }], relation: '<=', rhs: 0 },
      ],
    };
    expect(await highs.solve(impossible, { timeLimitMs: 5000 })).toMatchObject({ status: 'infeasible' });
  });

  it('loads the WASM module once per solver and again only after a failure', async () => {
    let loads = 0;
    const failFirst: HighsLoader = async () => {
      loads += 1;
      if (loads === 1) throw new Error('no wasm today');
      return loadHighs();
    };
    const solver = new HighsMilpSolver(failFirst);
    await expect(solver.solve(tiny, { timeLimitMs: 5000 })).rejects.toThrow('no wasm today');
    expect((await solver.solve(tiny, { timeLimitMs: 5000 })).status).toBe('optimal');
    expect((await solver.solve(tiny, { timeLimitMs: 5000 })).status).toBe('optimal');
    expect(loads).toBe(2);
  });

  it('drops a runtime whose solve threw, so the next solve reloads it', async () => {
    let loads = 0;
    const broken = {
      solve: () => {
        throw new Error('RuntimeError: unreachable');
      },
    };
    const solver = new HighsMilpSolver(async () => {
      loads += 1;
      return broken as unknown as Highs;
    });
    await expect(solver.solve(tiny, { timeLimitMs: 100 })).rejects.toThrow('unreachable');
    await expect(solver.solve(tiny, { timeLimitMs: 100 })).rejects.toThrow('unreachable');
    expect(loads).toBe(2);
  });
});

describe('HighsMilpSolver at a limit', () => {
  /** A runtime that always stops at the time limit with the given column values. */
  const stoppedWith = (primal: Record<string, number>) =>
    new HighsMilpSolver(async () => {
      const Columns = Object.fromEntries(Object.entries(primal).map(([name, value]) => [name, { Primal: value }]));
      return {
        solve: () => ({ Status: 'Time limit reached', ObjectiveValue: 0, Columns, Rows: [] }),
      } as unknown as Highs;
    });

  it('keeps an incumbent that satisfies the model as feasible, not optimal', async () => {
    expect(await stoppedWith({ a: 2, b: 3, u: 1 }).solve(tiny, { timeLimitMs: 10 })).toMatchObject({
      status: 'feasible',
    });
  });

  it('reports no solution when the values HiGHS left behind break the model', async () => {
    const broken: Record<string, number>[] = [
      { a: 0, b: 0, u: 0 },
      { a: 2, b: 3, u: 0 },
      { a: 1.5, b: 3.5, u: 1 },
      { a: 2, b: 3 },
    ];
    for (const primal of broken) {
      expect(await stoppedWith(primal).solve(tiny, { timeLimitMs: 10 })).toEqual({
        status: 'no-solution',
        detail: 'Time limit reached before any feasible solution',
      });
    }
  });

  it('lets optimiseRouting fall back to a feasible greedy plan when a real solve runs out of time', async () => {
    const problem = largeProblem(200, 40);
    // 0.001 ms: HiGHS stops before its first incumbent (whatever the machine), so the greedy plan is used.
    const result = await optimiseRouting(problem, { solver: highs, timeLimitMs: 0.001 });
    if (result.kind !== 'planned') throw new Error('expected a plan');
    expect(result.solver).toBe('greedy');
    expect(result.fallbackReason).toMatch(/^highs: no-solution \(Time limit reached/);
    expect(planViolations(problem, result.allocations)).toEqual([]);
    expect(result.cost).toBe(planCost(problem, greedyAllocations(problem)));
    expect(Number.isFinite(result.solverMs) && result.solverMs >= 0).toBe(true);
  });
});

// ---- properties on small random instances: HiGHS against exhaustive enumeration ----

const SKUS = ['A', 'B', 'C'];
const coordinate = (max: number) => fc.double({ min: -max, max, noNaN: true });
const locationArb = (skuCount: number) =>
  fc.record({
    lat: coordinate(60),
    lon: coordinate(180),
    handlingCostPerUnit: fc.integer({ min: 0, max: 300 }),
    shippingCostPerKm: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
    fixedCostPerShipment: fc.integer({ min: 0, max: 3000 }),
    stock: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: skuCount, maxLength: skuCount }),
  });
const rawInstance = fc.integer({ min: 1, max: 3 }).chain((skuCount) =>
  fc.record({
    quantities: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: skuCount, maxLength: skuCount }),
    shipTo: fc.record({ lat: coordinate(60), lon: coordinate(180) }),
    locations: fc.array(locationArb(skuCount), { minLength: 1, maxLength: 4 }),
  }),
);
type RawInstance = typeof rawInstance extends fc.Arbitrary<infer T> ? T : never;

function toProblem(raw: RawInstance): RoutingProblem {
  const locations: StockLocation[] = raw.locations.map(({ stock, ...rest }, index) => ({
    ...rest,
    id: `loc-${index}`,
    available: Object.fromEntries(stock.map((units, s) => [SKUS[s]!, units])),
  }));
  return { lines: raw.quantities.map((quantity, s) => ({ sku: SKUS[s]!, quantity })), shipTo: raw.shipTo, locations };
}

/** The same instance with every quantity cut to what the locations hold together (at least 1, topping up stock). */
function feasible(raw: RawInstance): RoutingProblem {
  const stock = raw.locations.map((location) => [...location.stock]);
  const quantities = raw.quantities.map((wanted, s) => {
    const total = stock.reduce((sum, units) => sum + units[s]!, 0);
    if (total === 0) stock[0]![s] = wanted;
    return total === 0 ? wanted : Math.min(wanted, total);
  });
  return toProblem({
    ...raw,
    quantities,
    locations: raw.locations.map((location, l) => ({ ...location, stock: stock[l]! })),
  });
}

const PROPERTY_RUNS = 300;

describe('optimiseRouting with HiGHS (fast-check)', () => {
  it(`finds the brute-force optimum, feasibly, and greedy never beats it (${PROPERTY_RUNS} runs)`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(rawInstance, async (raw) => {
        runs += 1;
        const problem = feasible(raw);
        const optimum = bruteForceOptimum(problem);
        if (!optimum) throw new Error('the instance was made feasible');

        const result = await optimiseRouting(problem, { solver: highs, timeLimitMs: 5000, enumerateUpTo: 0 });
        if (result.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(result)}`);
        expect(result.solver).toBe('milp');
        expect(result.optimal).toBe(true);
        expect(planViolations(problem, result.allocations)).toEqual([]);
        expect(result.cost).toBe(planCost(problem, result.allocations));
        expect(result.cost).toBe(optimum.cost);
        expect(Number.isFinite(result.solverMs)).toBe(true);
        expect(result.solverMs).toBeGreaterThanOrEqual(0);

        const greedy = greedyAllocations(problem);
        expect(planViolations(problem, greedy)).toEqual([]);
        expect(planCost(problem, greedy)).toBeGreaterThanOrEqual(optimum.cost);

        expect(enumeratedOptimum(problem)?.cost).toBe(optimum.cost);
      }),
      { numRuns: PROPERTY_RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(PROPERTY_RUNS);
  });

  it('says infeasible exactly when no plan exists (100 runs)', async () => {
    let infeasible = 0;
    await fc.assert(
      fc.asyncProperty(rawInstance, async (raw) => {
        const problem = toProblem(raw);
        const result = await optimiseRouting(problem, { solver: highs, timeLimitMs: 5000, enumerateUpTo: 0 });
        const optimum = bruteForceOptimum(problem);
        expect(result.kind).toBe(optimum ? 'planned' : 'infeasible');
        if (result.kind === 'infeasible') {
          infeasible += 1;
          expect(result.shortfalls.length).toBeGreaterThan(0);
          for (const shortfall of result.shortfalls) expect(shortfall.available).toBeLessThan(shortfall.requested);
        } else {
          expect(result.cost).toBe(optimum!.cost);
        }
      }),
      { numRuns: 100 },
    );
    // The generator must exercise both outcomes, or this property proves nothing about infeasibility.
    expect(infeasible).toBeGreaterThan(0);
  });
});

// ---- the exact enumeration against HiGHS, on instances too large to brute-force ----

/**
 * Up to 10 locations (so up to 2^10 shipping sets) and 6 skus with up to 15 units each. Costs come from
 * small sets of values and locations often share a spot, so equal-cost plans (ties) are common; a
 * location may be free (no fixed cost, no handling, no distance) and stock may equal demand exactly.
 */
const WIDE_SKUS = ['A', 'B', 'C', 'D', 'E', 'F'];
const spot = fc.oneof(
  fc.constant({ lat: 0, lon: 0 }),
  fc.record({ lat: fc.double({ min: -10, max: 10, noNaN: true }), lon: fc.double({ min: -10, max: 10, noNaN: true }) }),
);
const wideInstance = fc.integer({ min: 1, max: WIDE_SKUS.length }).chain((skuCount) =>
  fc.record({
    quantities: fc.array(fc.integer({ min: 1, max: 15 }), { minLength: skuCount, maxLength: skuCount }),
    shipTo: spot,
    locations: fc.array(
      fc.record({
        place: spot,
        handlingCostPerUnit: fc.constantFrom(0, 5, 10, 25),
        shippingCostPerKm: fc.constantFrom(0, 0.5, 1.25),
        fixedCostPerShipment: fc.constantFrom(0, 100, 200, 450),
        stock: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: skuCount, maxLength: skuCount }),
      }),
      { minLength: 1, maxLength: 10 },
    ),
  }),
);
type WideInstance = typeof wideInstance extends fc.Arbitrary<infer T> ? T : never;

/** The instance with each quantity cut to the total stock (topping up the first location when nobody holds a sku). */
function wideProblem(raw: WideInstance): RoutingProblem {
  const stock = raw.locations.map((location) => [...location.stock]);
  const lines = raw.quantities.map((wanted, s) => {
    const total = stock.reduce((sum, units) => sum + units[s]!, 0);
    if (total === 0) stock[0]![s] = wanted;
    return { sku: WIDE_SKUS[s]!, quantity: total === 0 ? wanted : Math.min(wanted, total) };
  });
  const locations = raw.locations.map(({ place, stock: _, ...costs }, l) => ({
    ...costs,
    ...place,
    id: `loc-${l}`,
    available: Object.fromEntries(stock[l]!.map((units, s) => [WIDE_SKUS[s]!, units])),
  }));
  return { lines, shipTo: raw.shipTo, locations };
}

const WIDE_RUNS = 200;

describe('enumeratedOptimum against HiGHS (fast-check)', () => {
  it(`costs exactly HiGHS's proven optimum, and optimiseRouting uses it by default (${WIDE_RUNS} runs)`, async () => {
    let runs = 0;
    let tied = 0;
    await fc.assert(
      fc.asyncProperty(wideInstance, async (raw) => {
        runs += 1;
        const problem = wideProblem(raw);
        const exact = enumeratedOptimum(problem);
        if (!exact) throw new Error('the instance was made feasible');
        expect(planViolations(problem, exact.allocations)).toEqual([]);
        expect(exact.cost).toBe(planCost(problem, exact.allocations));
        expect(enumeratedOptimum(problem)).toEqual(exact);

        const milp = await optimiseRouting(problem, { solver: highs, timeLimitMs: 10_000, enumerateUpTo: 0 });
        if (milp.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(milp)}`);
        expect(milp).toMatchObject({ solver: 'milp', method: 'solver', optimal: true });
        expect(exact.cost).toBe(milp.cost);
        if (JSON.stringify(milp.allocations) !== JSON.stringify(exact.allocations)) tied += 1;

        const routed = await optimiseRouting(problem, { solver: highs, timeLimitMs: 10_000 });
        expect(routed).toMatchObject({ kind: 'planned', solver: 'milp', method: 'enumeration', optimal: true });
        expect(routed.kind === 'planned' && routed.allocations).toEqual(exact.allocations);
      }),
      { numRuns: WIDE_RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(WIDE_RUNS);
    // Equal-cost alternatives must come up, or the property says nothing about ties.
    expect(tied).toBeGreaterThan(0);
  });
});

// ---- HiGHS in worker threads ----

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
    const inline = await highs.solve(model, { timeLimitMs: 5000 });
    expect(pooled).toEqual(inline);
    expect(pooled.status === 'optimal' && pooled.values).toBeInstanceOf(Map);
  });

  it('keeps the event loop turning while a solve runs, where the inline solver holds it', async () => {
    const model = buildRoutingMilp(largeProblem(150, 30)).model;
    const options = { timeLimitMs: 1500 };
    await solver.warmUp();

    const pooled = solver.solve(model, options);
    // Timers run while the thread solves: several turns of the loop pass before the answer comes.
    for (let turn = 0; turn < 3; turn++) expect(await pendingAfterATimer(pooled)).toBe(true);
    expect((await pooled).status).not.toBe('infeasible');

    await highs.warmUp();
    // Inline, the solve has finished before the event loop gets to run a single timer.
    expect(await pendingAfterATimer(highs.solve(model, options))).toBe(false);
  });

  it('rejects the solve whose thread dies, so the order is routed greedily, and carries on with a new thread', async () => {
    const problem = largeProblem(150, 30);
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
      const model = buildRoutingMilp(largeProblem(150, 30)).model;
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
    const inFlight = stopping.solve(buildRoutingMilp(largeProblem(150, 30)).model, { timeLimitMs: 5000 });
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
