import type { EntityManager } from 'typeorm';
import type { Allocation } from '../domain/routing/index.js';

/**
 * The stock bucket's one home: every statement that writes `fulfilment_stock`
 * (test/architecture/aggregate-homes.e2e-spec.ts keeps every other file from writing the table).
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
