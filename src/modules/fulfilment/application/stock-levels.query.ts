import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type StockLevel, stockLevel } from '../domain/stock/stock.js';
import { bucketsOfSku } from '../persistence/stock-buckets.js';

export interface SkuStockView {
  sku: string;
  locations: StockLevel[];
  totalAvailable: number;
}

/** A SKU's stock across every location that has a bucket for it. */
@Injectable()
export class StockLevelsQuery {
  constructor(private readonly dataSource: DataSource) {}

  async forSku(sku: string): Promise<SkuStockView> {
    const known = await this.dataSource.query(`SELECT 1 FROM fulfilment_sku WHERE sku = $1`, [sku]);
    if (known.length === 0) throw new NotFoundException(`sku ${sku} not found`);
    const rows = await bucketsOfSku(this.dataSource, sku);
    const locations = rows.map((row) => stockLevel(row.location_id, sku, row.on_hand, row.reserved));
    return { sku, locations, totalAvailable: locations.reduce((sum, level) => sum + level.available, 0) };
  }
}
