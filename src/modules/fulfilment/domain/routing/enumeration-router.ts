import { canonicalAllocations } from './allocation-order.js';
import { planCost, shipmentCost } from './plan-cost.js';
import { availableAt, demandBySku, type Allocation, type RoutingProblem } from './routing-problem.js';

/**
 * The most candidate locations (locations holding some ordered sku) {@link enumeratedOptimum} accepts
 * by default. Its worst case visits 2^(n+1) nodes of a few µs each; at 12 candidates that stays around
 * a millisecond on the 2-core dev machine (`npm run bench:routing`), well under one HiGHS solve of a
 * 3-location order, so it runs inline on the event loop. Larger orders go to the MILP solver.
 */
export const ENUMERATION_MAX_CANDIDATES = 12;

/** The locations that hold at least one unit of some ordered sku: the only ones an optimal plan opens. */
export function candidateCount(problem: RoutingProblem): number {
  const skus = [...demandBySku(problem.lines).keys()];
  return problem.locations.filter((location) => skus.some((sku) => availableAt(location, sku) > 0)).length;
}

/**
 * The exact optimum of the routing MILP (ADR 0012, ADR 0024) by enumerating the sets of locations that
 * ship, with branch and bound.
 *
 * Why it is exact: once the set `S` of shipping locations is fixed, the shipment costs are fixed and
 * the skus no longer interact, so each sku is best filled from the locations of `S` in order of
 * handling cost. `cost(S) = Σ_{l∈S} shipmentCost(l) + Σ_s fill_s(S)` is therefore the cheapest plan
 * that ships from at most `S`, and the minimum of `cost(S)` over every `S` is the optimum. The
 * search decides each candidate in turn (ship from it, or not) and prunes a branch whose lower bound
 * (the shipment costs already chosen plus the fill from every location still allowed) cannot beat the
 * incumbent; every cost is a non-negative whole number, so the bound is exact arithmetic.
 *
 * Determinism: candidates are decided in `problem.locations` order (shipping first), a sku is filled
 * from the cheaper handling first and, at equal handling, from the earlier location, and a later set
 * replaces the incumbent only when strictly cheaper. The same problem always gets the same plan.
 *
 * Returns `undefined` when no plan covers the order. Throws a `RangeError` when there are more than
 * `maxCandidates` candidate locations (use the MILP solver then).
 */
export function enumeratedOptimum(
  problem: RoutingProblem,
  maxCandidates = ENUMERATION_MAX_CANDIDATES,
): { allocations: Allocation[]; cost: number } | undefined {
  const demand = [...demandBySku(problem.lines)];
  const candidates = problem.locations
    .map((location) => ({
      location,
      caps: demand.map(([sku, wanted]) => Math.min(availableAt(location, sku), wanted)),
      shipment: shipmentCost(location, problem.shipTo),
    }))
    .filter((candidate) => candidate.caps.some((cap) => cap > 0));
  const n = candidates.length;
  if (n > maxCandidates) throw new RangeError(`${n} candidate locations, more than ${maxCandidates}`);

  // Per sku, the candidates that stock it, cheapest handling first (ties: the earlier location).
  const fillOrder = demand.map((_, s) =>
    candidates
      .map((candidate, c) => ({ c, cap: candidate.caps[s]!, handling: candidate.location.handlingCostPerUnit }))
      .filter((entry) => entry.cap > 0)
      .sort((a, b) => a.handling - b.handling || a.c - b.c),
  );

  /** Handling cost of filling every sku from the candidates `allowed` admits, or -1 when some sku cannot be covered. */
  const fillCost = (allowed: (c: number) => boolean): number => {
    let total = 0;
    for (let s = 0; s < demand.length; s++) {
      let left = demand[s]![1];
      for (const entry of fillOrder[s]!) {
        if (left === 0) break;
        if (!allowed(entry.c)) continue;
        const take = Math.min(left, entry.cap);
        total += take * entry.handling;
        left -= take;
      }
      if (left > 0) return -1;
    }
    return total;
  };

  // ship[c]: 1 ships, 0 does not, undecided beyond `depth`.
  const ship = new Uint8Array(n);
  let best: { ship: Uint8Array; cost: number } | undefined;
  const visit = (depth: number, shipmentSum: number): void => {
    const handling = fillCost((c) => c >= depth || ship[c] === 1);
    if (handling < 0) return;
    const bound = shipmentSum + handling;
    if (best && bound >= best.cost) return;
    if (depth === n) {
      best = { ship: ship.slice(), cost: bound };
      return;
    }
    ship[depth] = 1;
    visit(depth + 1, shipmentSum + candidates[depth]!.shipment);
    ship[depth] = 0;
    visit(depth + 1, shipmentSum);
  };
  visit(0, 0);
  if (!best) return undefined;

  const chosen = best.ship;
  const allocations: Allocation[] = [];
  demand.forEach(([sku, wanted], s) => {
    let left = wanted;
    for (const entry of fillOrder[s]!) {
      if (left === 0) break;
      if (chosen[entry.c] !== 1) continue;
      const quantity = Math.min(left, entry.cap);
      allocations.push({ locationId: candidates[entry.c]!.location.id, sku, quantity });
      left -= quantity;
    }
  });
  // A chosen location that ends up filling nothing ships nothing, so planCost may only be lower than the
  // set's cost; it cannot be lower than the optimum, so both are the optimum.
  return { allocations: canonicalAllocations(problem, allocations), cost: planCost(problem, allocations) };
}
