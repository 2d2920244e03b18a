import {
  availableAt,
  demandBySku,
  type Allocation,
  type GeoPoint,
  type RoutingProblem,
  type StockLocation,
} from './routing-problem.js';

/** Mean Earth radius (IUGG), in kilometres. */
const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance between two points in kilometres (haversine formula). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  // min() guards against h creeping above 1 by rounding for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The cost of one shipment from `location` to `shipTo`, in integer minor units:
 * `fixedCostPerShipment + round(distanceKm × shippingCostPerKm)`.
 *
 * The distance-based part is rounded once per shipment (half up, `Math.round`) so that every
 * coefficient the optimiser sees, and so every plan's cost, is a whole number of minor units: the
 * MILP's objective then equals {@link planCost} exactly, and optimality can be checked with `===`.
 */
export function shipmentCost(location: StockLocation, shipTo: GeoPoint): number {
  return location.fixedCostPerShipment + Math.round(distanceKm(location, shipTo) * location.shippingCostPerKm);
}

/**
 * The cost of a plan in integer minor units: Σ quantity × handlingCostPerUnit over the allocations, plus
 * one {@link shipmentCost} for each location that ships anything (allocations with quantity 0 ship
 * nothing). Throws a `RangeError` for an allocation from an unknown location.
 */
export function planCost(problem: RoutingProblem, allocations: readonly Allocation[]): number {
  const byId = new Map(problem.locations.map((location) => [location.id, location]));
  const shipping = new Set<string>();
  let cost = 0;
  for (const allocation of allocations) {
    const location = byId.get(allocation.locationId);
    if (!location) throw new RangeError(`allocation from unknown location ${allocation.locationId}`);
    if (allocation.quantity === 0) continue;
    cost += allocation.quantity * location.handlingCostPerUnit;
    shipping.add(location.id);
  }
  for (const id of shipping) cost += shipmentCost(byId.get(id)!, problem.shipTo);
  return cost;
}

/**
 * Why `allocations` do not fulfil the order, or an empty list when they do: every quantity a
 * non-negative integer, from a known location, within its available stock, for a sku the order asks
 * for, and every sku's demand covered exactly.
 */
export function planViolations(problem: RoutingProblem, allocations: readonly Allocation[]): string[] {
  const violations: string[] = [];
  const byId = new Map(problem.locations.map((location) => [location.id, location]));
  const demand = demandBySku(problem.lines);
  const taken = new Map<string, number>();
  const covered = new Map<string, number>();
  for (const { locationId, sku, quantity } of allocations) {
    const location = byId.get(locationId);
    if (!Number.isSafeInteger(quantity) || quantity < 0) violations.push(`${locationId}/${sku}: quantity ${quantity}`);
    if (!location) violations.push(`${locationId}: unknown location`);
    if (!demand.has(sku)) violations.push(`${sku}: not ordered`);
    const key = `${locationId}\u0000${sku}`;
    taken.set(key, (taken.get(key) ?? 0) + quantity);
    covered.set(sku, (covered.get(sku) ?? 0) + quantity);
    if (location && taken.get(key)! > availableAt(location, sku)) {
      violations.push(`${locationId}/${sku}: ${taken.get(key)} taken, ${availableAt(location, sku)} available`);
    }
  }
  for (const [sku, requested] of demand) {
    const got = covered.get(sku) ?? 0;
    if (got !== requested) violations.push(`${sku}: ${got} allocated, ${requested} ordered`);
  }
  return violations;
}
