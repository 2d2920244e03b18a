import { canonicalAllocations } from './allocation-order.js';
import { shipmentCost } from './plan-cost.js';
import {
  availableAt,
  demandBySku,
  type Allocation,
  type RoutingProblem,
  type StockLocation,
} from './routing-problem.js';

/**
 * A fast heuristic plan, used when the MILP solver is absent, fails or runs out of time.
 *
 * 1. Repeatedly open the unopened location with the lowest cost per unit it can still cover
 *    (`(shipmentCost + Σ handling × coverable) / coverable`; ties: more units covered, then the
 *    earlier location), and count everything it can cover as covered.
 * 2. Re-fill each sku from the opened locations, cheapest handling first, and drop any location that
 *    ends up shipping nothing. This never costs more than step 1's assignment.
 *
 * The result is always feasible when the problem has no shortfall, but not necessarily optimal.
 * Throws a `RangeError` when some sku cannot be covered (check `findShortfalls` first).
 */
export function greedyAllocations(problem: RoutingProblem): Allocation[] {
  const remaining = demandBySku(problem.lines);
  const opened: StockLocation[] = [];
  const unopened = [...problem.locations];
  let outstanding = [...remaining.values()].reduce((sum, units) => sum + units, 0);

  while (outstanding > 0) {
    let best: { index: number; units: number; cost: number } | undefined;
    unopened.forEach((location, index) => {
      let units = 0;
      let cost = shipmentCost(location, problem.shipTo);
      for (const [sku, wanted] of remaining) {
        const take = Math.min(wanted, availableAt(location, sku));
        units += take;
        cost += take * location.handlingCostPerUnit;
      }
      if (units === 0) return;
      // Compare cost/units by cross-multiplying: whole numbers, no floating-point ties.
      const cheaper = !best || cost * best.units < best.cost * units;
      const asCheapCoversMore = best && cost * best.units === best.cost * units && units > best.units;
      if (cheaper || asCheapCoversMore) best = { index, units, cost };
    });
    if (!best) throw new RangeError('the locations cannot cover the order (check findShortfalls first)');
    const [location] = unopened.splice(best.index, 1);
    opened.push(location!);
    for (const [sku, wanted] of remaining) remaining.set(sku, wanted - Math.min(wanted, availableAt(location!, sku)));
    outstanding -= best.units;
  }
  return cheapestFillFrom(problem, opened);
}

/** Covers every sku from `locations`, cheapest handling first (stable: earlier location on a tie). */
function cheapestFillFrom(problem: RoutingProblem, locations: readonly StockLocation[]): Allocation[] {
  const byHandling = [...locations].sort((a, b) => a.handlingCostPerUnit - b.handlingCostPerUnit);
  const allocations: Allocation[] = [];
  for (const [sku, wanted] of demandBySku(problem.lines)) {
    let left = wanted;
    for (const location of byHandling) {
      if (left === 0) break;
      const take = Math.min(left, availableAt(location, sku));
      if (take > 0) allocations.push({ locationId: location.id, sku, quantity: take });
      left -= take;
    }
  }
  return canonicalAllocations(problem, allocations);
}
