import { bruteForceOptimum } from './brute-force-router.js';
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
