import { demandBySku, type Allocation, type RoutingProblem } from './routing-problem.js';

/**
 * Allocations with quantity 0 dropped and the rest in a canonical order: by the location's position in
 * `problem.locations`, then by the sku's first appearance in the order. Plans from different strategies
 * then compare and serialise alike.
 */
export function canonicalAllocations(problem: RoutingProblem, allocations: readonly Allocation[]): Allocation[] {
  const locationRank = new Map(problem.locations.map((location, index) => [location.id, index]));
  const skuRank = new Map([...demandBySku(problem.lines).keys()].map((sku, index) => [sku, index]));
  const rank = (map: Map<string, number>, key: string) => map.get(key) ?? Number.MAX_SAFE_INTEGER;
  return allocations
    .filter((allocation) => allocation.quantity !== 0)
    .sort(
      (a, b) =>
        rank(locationRank, a.locationId) - rank(locationRank, b.locationId) ||
        rank(skuRank, a.sku) - rank(skuRank, b.sku),
    );
}
