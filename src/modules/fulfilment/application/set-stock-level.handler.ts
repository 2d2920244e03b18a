import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { ProblemException } from '../../../platform/index.js';
import { type StockLevel, stockLevel } from '../domain/stock/stock.js';

const FOREIGN_KEY_VIOLATION = '23503';

/** Sets a bucket's on-hand units; never below what is reserved. */
@Injectable()
export class SetStockLevelHandler {
  constructor(private readonly dataSource: DataSource) {}

  async execute(locationId: string, sku: string, onHand: number): Promise<StockLevel> {
    let rows: Array<{ on_hand: number; reserved: number }>;
    try {
      // One conditional statement: a reservation committed concurrently is either seen by the
      // WHERE (and the write refused) or waits for this write; never read-then-write.
      rows = await this.dataSource.query(
        `INSERT INTO fulfilment_stock (location_id, sku, on_hand, reserved) VALUES ($1, $2, $3, 0)
         ON CONFLICT (location_id, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
           WHERE fulfilment_stock.reserved <= EXCLUDED.on_hand
         RETURNING on_hand, reserved`,
        [locationId, sku, onHand],
      );
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === FOREIGN_KEY_VIOLATION
      ) {
        throw new NotFoundException(await this.whatIsMissing(locationId, sku));
      }
      throw error;
    }
    const [row] = rows;
    if (row) return stockLevel(locationId, sku, row.on_hand, row.reserved);
    // Only for the problem's detail; the decision above was atomic.
    const [current] = await this.dataSource.query(
      `SELECT reserved FROM fulfilment_stock WHERE location_id = $1 AND sku = $2`,
      [locationId, sku],
    );
    throw new ProblemException(
      409,
      'stock-below-reserved',
      'Conflict',
      `on-hand ${onHand} is below the ${current?.reserved ?? 'reserved'} units reserved at ${locationId} for ${sku}`,
      { reserved: current?.reserved ?? null },
    );
  }

  private async whatIsMissing(locationId: string, sku: string): Promise<string> {
    const [{ location, item }] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM fulfilment_location WHERE id = $1) AS location,
              EXISTS (SELECT 1 FROM fulfilment_sku WHERE sku = $2) AS item`,
      [locationId, sku],
    );
    if (!location) return `location ${locationId} not found`;
    if (!item) return `sku ${sku} not found`;
    return `location ${locationId} or sku ${sku} not found`;
  }
}
