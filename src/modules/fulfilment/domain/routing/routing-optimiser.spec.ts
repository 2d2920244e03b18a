import type { MilpModel, MilpSolution, MilpSolveOptions, MilpSolver } from './milp-solver.port.js';
import { optimiseRouting, type RoutingPlan } from './routing-optimiser.js';
import type { RoutingProblem, StockLocation } from './routing-problem.js';

const at = (id: string, fixed: number, available: Record<string, number>): StockLocation => ({
  id,
  lat: 0,
  lon: 0,
  handlingCostPerUnit: 0,
  shippingCostPerKm: 1,
  fixedCostPerShipment: fixed,
  available,
});

/** Order A×2; greedy opens `cheap` (cost 10); `dear` could ship it for 50. Variables: x_0_0,y_0 (cheap), x_1_0,y_1 (dear). */
const problem: RoutingProblem = {
  lines: [{ sku: 'A', quantity: 2 }],
  shipTo: { lat: 0, lon: 0 },
  locations: [at('cheap', 10, { A: 2 }), at('dear', 50, { A: 2 })],
};

/** A stub solver that answers with a fixed solution and remembers what it was asked. */
class StubSolver implements MilpSolver {
  readonly name = 'stub';
  readonly calls: { model: MilpModel; options: MilpSolveOptions }[] = [];
  constructor(private readonly answer: () => MilpSolution) {}
  async solve(model: MilpModel, options: MilpSolveOptions): Promise<MilpSolution> {
    this.calls.push({ model, options });
    return this.answer();
  }
}
const found = (status: 'optimal' | 'feasible', values: Record<string, number>) => () =>
  ({ status, objective: 0, values: new Map(Object.entries(values)) }) as MilpSolution;

const plan = async (solver: MilpSolver | undefined): Promise<RoutingPlan> => {
  const result = await optimiseRouting(problem, { solver, timeLimitMs: 250, enumerateUpTo: 0 });
  if (result.kind !== 'planned') throw new Error(`expected a plan, got ${result.kind}`);
  return result;
};

describe('optimiseRouting', () => {
  it('reports the shortfalls, without calling the solver, when stock cannot cover the order', async () => {
    const solver = new StubSolver(() => {
      throw new Error('must not be called');
    });
    const result = await optimiseRouting(
      {
        ...problem,
        lines: [
          { sku: 'A', quantity: 5 },
          { sku: 'Z', quantity: 1 },
        ],
      },
      { solver, timeLimitMs: 250, enumerateUpTo: 0 },
    );
    expect(result).toEqual({
      kind: 'infeasible',
      shortfalls: [
        { sku: 'A', requested: 5, available: 4 },
        { sku: 'Z', requested: 1, available: 0 },
      ],
    });
    expect(solver.calls).toHaveLength(0);
  });

  it("uses a proved optimum, passing the time limit, and records its cost and the solver's time", async () => {
    const solver = new StubSolver(found('optimal', { x_0_0: 2, y_0: 1, x_1_0: 0, y_1: 0 }));
    const ticks = [1000, 1042.5];
    const result = await optimiseRouting(problem, {
      solver,
      timeLimitMs: 250,
      enumerateUpTo: 0,
      now: () => ticks.shift()!,
    });
    expect(result).toEqual({
      kind: 'planned',
      allocations: [{ locationId: 'cheap', sku: 'A', quantity: 2 }],
      cost: 10,
      solver: 'milp',
      method: 'solver',
      optimal: true,
      solverMs: 42.5,
    });
    expect(solver.calls.map((call) => call.options)).toEqual([{ timeLimitMs: 250 }]);
    expect(solver.calls[0]!.model.variables.map((variable) => variable.name)).toEqual(['x_0_0', 'y_0', 'x_1_0', 'y_1']);
  });

  it('solves an order with few candidate locations exactly by enumeration, without the solver', async () => {
    const solver = new StubSolver(() => {
      throw new Error('must not be called');
    });
    const ticks = [1000, 1000.25];
    const result = await optimiseRouting(problem, { solver, timeLimitMs: 250, now: () => ticks.shift()! });
    expect(result).toEqual({
      kind: 'planned',
      allocations: [{ locationId: 'cheap', sku: 'A', quantity: 2 }],
      cost: 10,
      solver: 'milp',
      method: 'enumeration',
      optimal: true,
      solverMs: 0.25,
    });
    expect(solver.calls).toHaveLength(0);
    // Without a solver too: the enumeration needs none.
    expect(await optimiseRouting(problem, { timeLimitMs: 250 })).toMatchObject({ method: 'enumeration', cost: 10 });
  });

  it('asks the solver once the order has more candidate locations than enumerateUpTo', async () => {
    const solver = new StubSolver(found('optimal', { x_0_0: 2, y_0: 1, x_1_0: 0, y_1: 0 }));
    expect(await optimiseRouting(problem, { solver, timeLimitMs: 250, enumerateUpTo: 1 })).toMatchObject({
      solver: 'milp',
      method: 'solver',
      cost: 10,
    });
    expect(solver.calls).toHaveLength(1);
  });

  it('falls back to greedy when the solver throws', async () => {
    const result = await plan(
      new StubSolver(() => {
        throw new Error('wasm exploded');
      }),
    );
    expect(result).toMatchObject({
      solver: 'greedy',
      optimal: false,
      cost: 10,
      fallbackReason: 'stub threw: wasm exploded',
    });
    expect(result.allocations).toEqual([{ locationId: 'cheap', sku: 'A', quantity: 2 }]);
  });

  it('falls back to greedy when the time limit passes without a solution, or the solver claims infeasibility', async () => {
    const timedOut = await plan(new StubSolver(() => ({ status: 'no-solution', detail: 'Time limit reached' })));
    expect(timedOut).toMatchObject({
      solver: 'greedy',
      cost: 10,
      fallbackReason: 'stub: no-solution (Time limit reached)',
    });
    const infeasible = await plan(new StubSolver(() => ({ status: 'infeasible', detail: 'Infeasible' })));
    expect(infeasible).toMatchObject({ solver: 'greedy', cost: 10 });
  });

  it("never trusts a solver's plan that breaks the stock, misses demand or is fractional", async () => {
    const overdrawn = await plan(new StubSolver(found('optimal', { x_0_0: 3, y_0: 1, x_1_0: 0, y_1: 0 })));
    expect(overdrawn).toMatchObject({ solver: 'greedy', cost: 10 });
    expect(overdrawn.fallbackReason).toMatch(/infeasible plan .*cheap\/A: 3 taken, 2 available/);
    const short = await plan(new StubSolver(found('optimal', { x_0_0: 1, y_0: 1, x_1_0: 0, y_1: 0 })));
    expect(short.fallbackReason).toMatch(/A: 1 allocated, 2 ordered/);
    const fractional = await plan(new StubSolver(found('optimal', { x_0_0: 1.5, y_0: 1, x_1_0: 0.5, y_1: 1 })));
    expect(fractional).toMatchObject({ solver: 'greedy', fallbackReason: 'stub: a value was missing or not integral' });
  });

  it('keeps a time-limited incumbent unless the greedy plan is cheaper', async () => {
    const good = await plan(new StubSolver(found('feasible', { x_0_0: 2, y_0: 1, x_1_0: 0, y_1: 0 })));
    expect(good).toMatchObject({ solver: 'milp', optimal: false, cost: 10 });
    const poor = await plan(new StubSolver(found('feasible', { x_0_0: 0, y_0: 0, x_1_0: 2, y_1: 1 })));
    expect(poor).toMatchObject({ solver: 'greedy', cost: 10 });
    expect(poor.fallbackReason).toMatch(/incumbent cost more/);
  });

  it('plans greedily without a solver, and measures the time with the real clock by default', async () => {
    const result = await plan(undefined);
    expect(result).toMatchObject({ solver: 'greedy', cost: 10, fallbackReason: 'no MILP solver configured' });
    expect(Number.isFinite(result.solverMs)).toBe(true);
    expect(result.solverMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses a non-positive time limit and malformed orders', async () => {
    await expect(optimiseRouting(problem, { timeLimitMs: 0 })).rejects.toThrow(/timeLimitMs/);
    await expect(optimiseRouting(problem, { timeLimitMs: Number.NaN })).rejects.toThrow(/timeLimitMs/);
    await expect(optimiseRouting({ ...problem, lines: [] }, { timeLimitMs: 10 })).rejects.toThrow(RangeError);
  });
});
