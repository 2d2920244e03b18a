/**
 * The routing problem: which stock locations ship which units of an order.
 *
 * Money is in integer minor units of the order's currency. Only the per-kilometre shipping rate may be
 * fractional; see {@link shipmentCost} for how it is rounded.
 */

/** A place that holds stock and can ship it (a store or a warehouse). */
export interface StockLocation {
  readonly id: string;
  /** Latitude in decimal degrees, -90..90. */
  readonly lat: number;
  /** Longitude in decimal degrees, -180..180. */
  readonly lon: number;
  /** Integer minor units charged per unit picked and packed here. */
  readonly handlingCostPerUnit: number;
  /** Minor units per kilometre of great-circle distance to the customer; may be fractional. */
  readonly shippingCostPerKm: number;
  /** Integer minor units charged once for each shipment leaving this location. */
  readonly fixedCostPerShipment: number;
  /** Units available now (`on_hand - reserved`) per sku; a missing sku means none. */
  readonly available: Readonly<Record<string, number>>;
}

/** One line of an order. The same sku may appear on several lines; their quantities add up. */
export interface OrderLine {
  readonly sku: string;
  /** A positive whole number of units. */
  readonly quantity: number;
}

/** A point on the globe, in decimal degrees. */
export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

/** What to fulfil and from where. */
export interface RoutingProblem {
  readonly lines: readonly OrderLine[];
  readonly shipTo: GeoPoint;
  readonly locations: readonly StockLocation[];
}

/** Units of one sku taken from one location. */
export interface Allocation {
  readonly locationId: string;
  readonly sku: string;
  readonly quantity: number;
}

/** A sku whose total availability across every location is below what the order asks for. */
export interface Shortfall {
  readonly sku: string;
  readonly requested: number;
  readonly available: number;
}

/** Units of `sku` available at `location` (0 when the location does not stock it). */
export function availableAt(location: StockLocation, sku: string): number {
  return Object.hasOwn(location.available, sku) ? location.available[sku]! : 0;
}

/** The order's demand per sku, lines of the same sku summed, in first-appearance order. */
export function demandBySku(lines: readonly OrderLine[]): Map<string, number> {
  const demand = new Map<string, number>();
  for (const line of lines) demand.set(line.sku, (demand.get(line.sku) ?? 0) + line.quantity);
  return demand;
}

/** Every sku the locations together cannot cover; empty when the order can be fulfilled. */
export function findShortfalls(problem: RoutingProblem): Shortfall[] {
  const shortfalls: Shortfall[] = [];
  for (const [sku, requested] of demandBySku(problem.lines)) {
    const available = problem.locations.reduce((sum, location) => sum + availableAt(location, sku), 0);
    if (available < requested) shortfalls.push({ sku, requested, available });
  }
  return shortfalls;
}

/**
 * Throws a `RangeError` naming the first malformed input: an empty order, a non-positive or fractional
 * quantity, negative or fractional stock, a negative or non-integer money amount, a non-finite rate or
 * coordinate, or a duplicate location id. These are programming errors upstream, not business outcomes
 * (a shortage is reported by {@link findShortfalls}).
 */
export function assertValidProblem(problem: RoutingProblem): void {
  if (problem.lines.length === 0) throw new RangeError('an order needs at least one line');
  for (const line of problem.lines) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      throw new RangeError(`line ${line.sku}: quantity must be a positive integer, got ${line.quantity}`);
    }
  }
  assertPoint(problem.shipTo, 'shipTo');
  const ids = new Set<string>();
  for (const location of problem.locations) {
    if (ids.has(location.id)) throw new RangeError(`duplicate location id ${location.id}`);
    ids.add(location.id);
    assertPoint(location, `location ${location.id}`);
    for (const field of ['handlingCostPerUnit', 'fixedCostPerShipment'] as const) {
      if (!Number.isSafeInteger(location[field]) || location[field] < 0) {
        throw new RangeError(`location ${location.id}: ${field} must be a non-negative integer (minor units)`);
      }
    }
    if (!Number.isFinite(location.shippingCostPerKm) || location.shippingCostPerKm < 0) {
      throw new RangeError(`location ${location.id}: shippingCostPerKm must be a non-negative finite number`);
    }
    for (const [sku, units] of Object.entries(location.available)) {
      if (!Number.isSafeInteger(units) || units < 0) {
        throw new RangeError(`location ${location.id}: available ${sku} must be a non-negative integer`);
      }
    }
  }
}

function assertPoint(point: GeoPoint, what: string): void {
  if (!(Math.abs(point.lat) <= 90) || !(Math.abs(point.lon) <= 180)) {
    throw new RangeError(`${what}: lat/lon out of range (${point.lat}, ${point.lon})`);
  }
}
