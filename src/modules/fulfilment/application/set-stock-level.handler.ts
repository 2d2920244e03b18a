import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { ProblemException } from '../../../platform/index.js';
import { type StockLevel, stockLevel } from '../domain/stock/stock.js';
import { reservedIn, setOnHand } from '../persistence/stock-buckets.js';

const FOREIGN_KEY_VIOLATION = '23503';

/** Sets a bucket's on-hand units; never below what is reserved. */
@Injectable()
export class SetStockLevelHandler {
  constructor(private readonly dataSource: DataSource) {}

  async execute(locationId: string, sku: string, onHand: number): Promise<StockLevel> {
    let row: { on_hand: number; reserved: number } | undefined;
    try {
      row = await setOnHand(this.dataSource, locationId, sku, onHand);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === FOREIGN_KEY_VIOLATION
      ) {
        throw new NotFoundException(await this.whatIsMissing(locationId, sku));
      }
      throw error;
    }
    if (row) return stockLevel(locationId, sku, row.on_hand, row.reserved);
    // Only for the problem's detail; the decision above was atomic.
    const reserved = await reservedIn(this.dataSource, locationId, sku);
    throw new ProblemException(
      409,
      'stock-below-reserved',
      'Conflict',
      `on-hand ${onHand} is below the ${reserved ?? 'reserved'} units reserved at ${locationId} for ${sku}`,
      { reserved: reserved ?? null },
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
