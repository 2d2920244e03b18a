import type { EntityManager } from 'typeorm';
import type { Allocation } from '../domain/routing/index.js';

/**
 * The stock bucket's one home: every statement in src/ that touches `fulfilment_stock`, read or
 * write (test/architecture/aggregate-homes.e2e-spec.ts fails on a statement anywhere else),
 * including the stock-levels view, the routing's available stock, the drift of a scanner
 * observation and the reservations reconciliation.
 * Conditional stock moves: each statement re-checks its condition against the committed row it
 * locks (READ COMMITTED), so concurrent moves never oversell; the table's CHECK
 * (`0 <= reserved <= on_hand`) stands behind them. Buckets are always touched in (location, sku)
 * order, so two moves over the same buckets cannot deadlock.
 */

/** Where statements run: a transaction's manager, or the data source for one statement alone. */
type Queryable = Pick<EntityManager, 'query'>;

/**
 * Sets a bucket's on-hand units, creating it, unless that would go below what is reserved. One
 * conditional statement: a reservation committed concurrently is either seen by the WHERE (and the
 * write refused) or waits for this write; never read-then-write. Returns the bucket, or undefined
 * when refused.
 */
export async function setOnHand(
  db: Queryable,
  locationId: string,
  sku: string,
  onHand: number,
): Promise<{ on_hand: number; reserved: number } | undefined> {
  const rows: Array<{ on_hand: number; reserved: number }> = await db.query(
    `INSERT INTO fulfilment_stock (location_id, sku, on_hand, reserved) VALUES ($1, $2, $3, 0)
     ON CONFLICT (location_id, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
       WHERE fulfilment_stock.reserved <= EXCLUDED.on_hand
     RETURNING on_hand, reserved`,
    [locationId, sku, onHand],
  );
  return rows[0];
}

/** A bucket's reserved units, or undefined when there is no such bucket. */
export async function reservedIn(db: Queryable, locationId: string, sku: string): Promise<number | undefined> {
  const [row]: Array<{ reserved: number }> = await db.query(
    `SELECT reserved FROM fulfilment_stock WHERE location_id = $1 AND sku = $2`,
    [locationId, sku],
  );
  return row?.reserved;
}

function inBucketOrder(allocations: readonly Allocation[]): Allocation[] {
  return [...allocations].sort((a, b) => a.locationId.localeCompare(b.locationId) || a.sku.localeCompare(b.sku));
}

/** A move that found a bucket in a state it cannot come from: the books and the order disagree. */
export class StockMoveError extends Error {}

/**
 * Holds every allocation (available → reserved), or none: returns false when some bucket no longer
 * has the units available, after rolling back whatever this call had held (a savepoint), so the
 * caller may re-plan against fresh stock within the same transaction.
 */
export async function holdStock(tx: EntityManager, allocations: readonly Allocation[]): Promise<boolean> {
  await tx.query('SAVEPOINT hold_stock');
  for (const { locationId, sku, quantity } of inBucketOrder(allocations)) {
    const [, moved]: [unknown[], number] = await tx.query(
      `UPDATE fulfilment_stock SET reserved = reserved + $3, updated_at = now()
       WHERE location_id = $1 AND sku = $2 AND on_hand - reserved >= $3`,
      [locationId, sku, quantity],
    );
    if (moved !== 1) {
      await tx.query('ROLLBACK TO SAVEPOINT hold_stock');
      await tx.query('RELEASE SAVEPOINT hold_stock');
      return false;
    }
  }
  await tx.query('RELEASE SAVEPOINT hold_stock');
  return true;
}

/** Gives held units back (reserved → available). */
export async function releaseStock(tx: EntityManager, allocations: readonly Allocation[]): Promise<void> {
  await moveHeld(tx, allocations, 'reserved = reserved - $3', 'release');
}

/** Ships held units: they leave both `reserved` and `on_hand`. */
export async function shipStock(tx: EntityManager, allocations: readonly Allocation[]): Promise<void> {
  await moveHeld(tx, allocations, 'reserved = reserved - $3, on_hand = on_hand - $3', 'ship');
}

async function moveHeld(
  tx: EntityManager,
  allocations: readonly Allocation[],
  set: string,
  what: string,
): Promise<void> {
  for (const { locationId, sku, quantity } of inBucketOrder(allocations)) {
    const [, moved]: [unknown[], number] = await tx.query(
      `UPDATE fulfilment_stock SET ${set}, updated_at = now()
       WHERE location_id = $1 AND sku = $2 AND reserved >= $3`,
      [locationId, sku, quantity],
    );
    if (moved !== 1) {
      throw new StockMoveError(`cannot ${what} ${quantity} × ${sku} at ${locationId}: fewer units are reserved there`);
    }
  }
}

/** A stock bucket with units available, with its location's coordinates and costs, for routing. */
export interface AvailableStockRow {
  location_id: string;
  lat: number;
  lon: number;
  handling_cost_per_unit: string;
  shipping_cost_per_km: number;
  fixed_cost_per_shipment: string;
  sku: string;
  available: number;
}

/** Every bucket of `skus` with units available, with its location, by location then SKU. */
export async function availableStockOf(tx: EntityManager, skus: readonly string[]): Promise<AvailableStockRow[]> {
  return tx.query(
    `SELECT l.id AS location_id, l.lat, l.lon, l.handling_cost_per_unit, l.shipping_cost_per_km,
              l.fixed_cost_per_shipment, s.sku, s.on_hand - s.reserved AS available
       FROM fulfilment_stock s JOIN fulfilment_location l ON l.id = s.location_id
       WHERE s.sku = ANY($1::text[]) AND s.on_hand > s.reserved
       ORDER BY l.id, s.sku`,
    [skus],
  );
}

/** Every bucket of the SKU, by location. */
export async function bucketsOfSku(
  db: Queryable,
  sku: string,
): Promise<Array<{ location_id: string; on_hand: number; reserved: number }>> {
  return db.query(`SELECT location_id, on_hand, reserved FROM fulfilment_stock WHERE sku = $1 ORDER BY location_id`, [
    sku,
  ]);
}

/**
 * Keeps a scanner observation of a bucket unless a newer one is kept, with its drift from the
 * bucket's recorded on-hand measured in the same statement (null when there is no bucket). One
 * statement: concurrent observations of the same bucket serialise on its row, and the WHERE
 * re-checks against whichever one committed first. Returns the drift, or undefined when the
 * observation was older than the one kept. Never changes the bucket itself.
 */
export async function recordObservation(
  tx: EntityManager,
  locationId: string,
  sku: string,
  observedOnHand: number,
  observedAt: string,
): Promise<number | null | undefined> {
  const rows: Array<{ drift: number | null }> = await tx.query(
    `INSERT INTO fulfilment_stock_observation (location_id, sku, observed_on_hand, observed_at, drift)
       VALUES ($1, $2, $3, $4,
         (SELECT $3::int - on_hand FROM fulfilment_stock WHERE location_id = $1 AND sku = $2))
       ON CONFLICT (location_id, sku) DO UPDATE SET
         observed_on_hand = EXCLUDED.observed_on_hand,
         observed_at = EXCLUDED.observed_at,
         drift = EXCLUDED.drift,
         updated_at = now()
       WHERE fulfilment_stock_observation.observed_at < EXCLUDED.observed_at
       RETURNING drift`,
    [locationId, sku, observedOnHand, observedAt],
  );
  return rows[0]?.drift;
}

/** A bucket whose `reserved` differs from the units orders still holding stock have allocated there. */
export interface ReservationMismatch {
  location_id: string;
  sku: string;
  reserved: number;
  held_by_orders: number;
  orders: string[] | null;
}

/**
 * The buckets whose `reserved` is not what the orders still holding stock (`reserved`, `paid` with a
 * reservation, `ready`) have allocated there, with those orders, by location and SKU; empty when
 * the books agree. One statement, one snapshot of both tables: it reads `fulfilment_order` too, the
 * one read of that table outside orders.ts, because it checks the buckets against the orders
 * (the reservations-match-orders reconciler), and test/architecture/aggregate-homes.e2e-spec.ts names
 * this file as that table's only other reader.
 */
export async function reservedVersusOrders(tx: EntityManager): Promise<ReservationMismatch[]> {
  return tx.query(
    `WITH held AS (
         SELECT a->>'locationId' AS location_id, a->>'sku' AS sku, sum((a->>'quantity')::int)::int AS units,
                array_agg(DISTINCT o.id::text ORDER BY o.id::text) AS orders
         FROM fulfilment_order o, jsonb_array_elements(o.allocations) a
         WHERE o.reserved_at IS NOT NULL AND o.status IN ('reserved', 'paid', 'ready')
         GROUP BY 1, 2)
       SELECT coalesce(s.location_id, h.location_id) AS location_id, coalesce(s.sku, h.sku) AS sku,
              coalesce(s.reserved, 0) AS reserved, coalesce(h.units, 0) AS held_by_orders, h.orders
       FROM fulfilment_stock s FULL JOIN held h ON h.location_id = s.location_id AND h.sku = s.sku
       WHERE coalesce(s.reserved, 0) <> coalesce(h.units, 0)
       ORDER BY 1, 2`,
  );
}
