import { bruteForceOptimum } from './brute-force-router.js';
import { candidateCount, ENUMERATION_MAX_CANDIDATES, enumeratedOptimum } from './enumeration-router.js';
import { greedyAllocations } from './greedy-router.js';
import { planCost, planViolations } from './plan-cost.js';
import type { RoutingProblem, StockLocation } from './routing-problem.js';

/** Locations at the customer's door (distance 0), so a shipment costs exactly its fixed cost. */
const at = (id: string, fixed: number, handling: number, available: Record<string, number>): StockLocation => ({
  id,
  lat: 0,
  lon: 0,
  handlingCostPerUnit: handling,
  shippingCostPerKm: 1,
  fixedCostPerShipment: fixed,
  available,
});
const problemOf = (lines: Record<string, number>, ...locations: StockLocation[]): RoutingProblem => ({
  lines: Object.entries(lines).map(([sku, quantity]) => ({ sku, quantity })),
  shipTo: { lat: 0, lon: 0 },
  locations,
});

describe('greedyAllocations', () => {
  it('splits across cheap stores rather than opening an expensive hub', () => {
    const problem = problemOf(
      { A: 1, B: 1 },
      at('hub', 1000, 10, { A: 10, B: 10 }),
      at('store1', 100, 50, { A: 1 }),
      at('store2', 100, 50, { B: 1 }),
    );
    const allocations = greedyAllocations(problem);
    expect(allocations).toEqual([
      { locationId: 'store1', sku: 'A', quantity: 1 },
      { locationId: 'store2', sku: 'B', quantity: 1 },
    ]);
    expect(planCost(problem, allocations)).toBe(300);
  });

  it('re-fills from the cheapest handling among the opened locations and drops one left idle', () => {
    // P looks cheapest per unit and opens first; Q must open for B, and then covers A more cheaply too.
    const problem = problemOf({ A: 2, B: 1 }, at('P', 0, 5, { A: 2 }), at('Q', 100, 1, { A: 5, B: 1 }));
    const allocations = greedyAllocations(problem);
    expect(allocations).toEqual([
      { locationId: 'Q', sku: 'A', quantity: 2 },
      { locationId: 'Q', sku: 'B', quantity: 1 },
    ]);
    expect(planCost(problem, allocations)).toBe(103);
  });

  it('covers demand within stock, taking from several locations when one is not enough', () => {
    const problem = problemOf(
      { A: 7, B: 2 },
      at('a', 10, 3, { A: 3 }),
      at('b', 20, 1, { A: 2, B: 1 }),
      at('c', 30, 2, { A: 4, B: 5 }),
    );
    const allocations = greedyAllocations(problem);
    expect(planViolations(problem, allocations)).toEqual([]);
    expect(allocations.every((allocation) => allocation.quantity > 0)).toBe(true);
  });

  it('may cost more than the optimum: it is only the fallback', () => {
    // L1 is cheaper per unit but cannot cover the order alone; L2 alone is the optimum.
    const problem = problemOf({ A: 3 }, at('L1', 10, 0, { A: 2 }), at('L2', 18, 0, { A: 3 }));
    expect(planCost(problem, greedyAllocations(problem))).toBe(28);
    expect(bruteForceOptimum(problem)?.cost).toBe(18);
  });

  it('throws when the stock cannot cover the order', () => {
    expect(() => greedyAllocations(problemOf({ A: 3 }, at('a', 1, 1, { A: 2 })))).toThrow(RangeError);
  });
});

describe('bruteForceOptimum', () => {
  it('finds the cheapest of every integer plan', () => {
    const problem = problemOf({ A: 2, B: 1 }, at('P', 0, 5, { A: 2 }), at('Q', 100, 1, { A: 5, B: 1 }));
    expect(bruteForceOptimum(problem)).toEqual({
      allocations: [
        { locationId: 'Q', sku: 'A', quantity: 2 },
        { locationId: 'Q', sku: 'B', quantity: 1 },
      ],
      cost: 103,
    });
  });

  it('returns undefined when nothing covers the order and refuses instances too big to enumerate', () => {
    expect(bruteForceOptimum(problemOf({ A: 3 }, at('a', 1, 1, { A: 2 })))).toBeUndefined();
    const big = problemOf({ A: 40 }, at('a', 1, 1, { A: 40 }), at('b', 1, 1, { A: 40 }), at('c', 1, 1, { A: 40 }));
    expect(() => bruteForceOptimum(big, 100)).toThrow(/861 plans/);
  });
});

/** The plan is feasible, its cost is what planCost says, and it is the brute-force optimum. */
function expectExact(problem: RoutingProblem): { allocations: unknown[]; cost: number } {
  const optimum = enumeratedOptimum(problem);
  if (!optimum) throw new Error('expected a plan');
  expect(planViolations(problem, optimum.allocations)).toEqual([]);
  expect(optimum.cost).toBe(planCost(problem, optimum.allocations));
  expect(optimum.cost).toBe(bruteForceOptimum(problem)?.cost);
  return optimum;
}

describe('enumeratedOptimum', () => {
  it('plans a single location that holds everything', () => {
    const problem = problemOf({ A: 2, B: 1 }, at('only', 100, 7, { A: 2, B: 1 }));
    expect(expectExact(problem)).toEqual({
      allocations: [
        { locationId: 'only', sku: 'A', quantity: 2 },
        { locationId: 'only', sku: 'B', quantity: 1 },
      ],
      cost: 121,
    });
  });

  it('opens one dearer location rather than two cheaper ones where greedy would not', () => {
    // L1 is cheaper per unit but cannot cover the order alone; L2 alone is the optimum (greedy pays 28).
    const problem = problemOf({ A: 3 }, at('L1', 10, 0, { A: 2 }), at('L2', 18, 0, { A: 3 }));
    expect(expectExact(problem)).toEqual({ allocations: [{ locationId: 'L2', sku: 'A', quantity: 3 }], cost: 18 });
  });

  it('splits a sku across locations when stock is exactly the demand', () => {
    const problem = problemOf({ A: 5, B: 2 }, at('a', 50, 1, { A: 3, B: 2 }), at('b', 50, 9, { A: 2 }));
    expect(expectExact(problem)).toEqual({
      allocations: [
        { locationId: 'a', sku: 'A', quantity: 3 },
        { locationId: 'a', sku: 'B', quantity: 2 },
        { locationId: 'b', sku: 'A', quantity: 2 },
      ],
      cost: 50 + 5 + 50 + 18,
    });
  });

  it('fills from the cheaper handling within the shipping set', () => {
    const problem = problemOf({ A: 4 }, at('dear', 0, 10, { A: 4 }), at('cheap', 0, 1, { A: 3 }));
    expect(expectExact(problem)).toEqual({
      allocations: [
        { locationId: 'dear', sku: 'A', quantity: 1 },
        { locationId: 'cheap', sku: 'A', quantity: 3 },
      ],
      cost: 13,
    });
  });

  it('breaks ties deterministically: the earlier location, whichever order the equal options come in', () => {
    const twins = problemOf({ A: 2 }, at('first', 10, 3, { A: 2 }), at('second', 10, 3, { A: 2 }));
    expect(expectExact(twins).allocations).toEqual([{ locationId: 'first', sku: 'A', quantity: 2 }]);
    expect(enumeratedOptimum(twins)).toEqual(enumeratedOptimum(twins));
    const swapped = { ...twins, locations: [...twins.locations].reverse() };
    expect(expectExact(swapped).allocations).toEqual([{ locationId: 'second', sku: 'A', quantity: 2 }]);
  });

  it('costs nothing with free locations, and leaves a free location out when it is not needed', () => {
    const problem = problemOf({ A: 1, B: 1 }, at('free', 0, 0, { A: 1, B: 1 }), at('also-free', 0, 0, { A: 1 }));
    expect(expectExact(problem)).toEqual({
      allocations: [
        { locationId: 'free', sku: 'A', quantity: 1 },
        { locationId: 'free', sku: 'B', quantity: 1 },
      ],
      cost: 0,
    });
  });

  it('ignores locations holding nothing ordered, and counts only the candidates', () => {
    const problem = problemOf(
      { A: 1 },
      at('empty', 0, 0, { A: 0 }),
      at('other-sku', 0, 0, { Z: 9 }),
      at('holder', 40, 2, { A: 1 }),
    );
    expect(candidateCount(problem)).toBe(1);
    expect(expectExact(problem)).toEqual({ allocations: [{ locationId: 'holder', sku: 'A', quantity: 1 }], cost: 42 });
  });

  it('charges the rounded distance-based shipment, as planCost does', () => {
    const far = { ...at('far', 100, 0, { A: 1 }), lat: 1, shippingCostPerKm: 0.5 }; // 111.195 km → 56
    const near = at('near', 150, 0, { A: 1 });
    expect(expectExact(problemOf({ A: 1 }, far, near))).toEqual({
      allocations: [{ locationId: 'near', sku: 'A', quantity: 1 }],
      cost: 150,
    });
  });

  it('agrees with brute force on many skus and several locations', () => {
    const skus = ['A', 'B', 'C', 'D', 'E', 'F'];
    let seed = 11;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n;
    for (let round = 0; round < 40; round++) {
      const locations = Array.from({ length: 4 }, (_, l) =>
        at(
          `L${l}`,
          Math.floor(random(4)) * 50,
          Math.floor(random(3)) * 5,
          Object.fromEntries(skus.map((sku) => [sku, Math.floor(random(3))])),
        ),
      );
      const lines = Object.fromEntries(skus.map((sku) => [sku, 1 + Math.floor(random(2))]));
      const problem = problemOf(lines, ...locations);
      const optimum = enumeratedOptimum(problem);
      expect(optimum?.cost).toBe(bruteForceOptimum(problem)?.cost);
      if (optimum) expect(optimum.cost).toBe(planCost(problem, optimum.allocations));
    }
  });

  it('returns undefined when nothing covers the order and refuses more candidates than its bound', () => {
    expect(enumeratedOptimum(problemOf({ A: 3 }, at('a', 1, 1, { A: 2 })))).toBeUndefined();
    expect(enumeratedOptimum(problemOf({ A: 1 }))).toBeUndefined();
    const many = Array.from({ length: ENUMERATION_MAX_CANDIDATES + 1 }, (_, l) => at(`L${l}`, 1, 1, { A: 1 }));
    expect(() => enumeratedOptimum(problemOf({ A: 1 }, ...many))).toThrow(/13 candidate locations, more than 12/);
    expect(enumeratedOptimum(problemOf({ A: 1 }, ...many), 13)?.cost).toBe(2);
  });
});
