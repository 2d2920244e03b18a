import { canonicalAllocations } from './allocation-order.js';
import { planCost } from './plan-cost.js';
import { availableAt, demandBySku, type Allocation, type RoutingProblem } from './routing-problem.js';

/**
 * The exact optimum by enumerating every integer allocation (every way to split each sku's demand
 * across the locations within their stock). A reference for tests of the real optimiser on small
 * instances; exponential, so it throws a `RangeError` when there are more than `maxPlans` plans to
 * try. Returns `undefined` when no plan covers the order.
 */
export function bruteForceOptimum(
  problem: RoutingProblem,
  maxPlans = 1_000_000,
): { allocations: Allocation[]; cost: number } | undefined {
  const splitsPerSku = [...demandBySku(problem.lines)].map(([sku, wanted]) => splits(problem, sku, wanted));
  const plans = splitsPerSku.reduce((product, options) => product * options.length, 1);
  if (plans > maxPlans) throw new RangeError(`${plans} plans to enumerate, more than ${maxPlans}`);

  let best: { allocations: Allocation[]; cost: number } | undefined;
  const visit = (index: number, chosen: Allocation[]): void => {
    if (index === splitsPerSku.length) {
      const cost = planCost(problem, chosen);
      if (!best || cost < best.cost) best = { allocations: canonicalAllocations(problem, chosen), cost };
      return;
    }
    for (const split of splitsPerSku[index]!) visit(index + 1, [...chosen, ...split]);
  };
  visit(0, []);
  return best;
}

/** Every way to take exactly `wanted` units of `sku` from the locations, each within its stock. */
function splits(problem: RoutingProblem, sku: string, wanted: number): Allocation[][] {
  const result: Allocation[][] = [];
  const go = (index: number, left: number, taken: Allocation[]): void => {
    if (index === problem.locations.length) {
      if (left === 0) result.push(taken);
      return;
    }
    const location = problem.locations[index]!;
    for (let quantity = 0; quantity <= Math.min(left, availableAt(location, sku)); quantity++) {
      go(index + 1, left - quantity, quantity > 0 ? [...taken, { locationId: location.id, sku, quantity }] : taken);
    }
  };
  go(0, wanted, []);
  return result;
}
