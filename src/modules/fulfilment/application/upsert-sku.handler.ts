import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SkuView } from './catalogue.view.js';

export interface UpsertSku {
  sku: string;
  name: string;
  unitPrice: number;
  currency: string;
}

/** Creates or replaces a SKU's name and price. */
@Injectable()
export class UpsertSkuHandler {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: UpsertSku): Promise<SkuView> {
    const [row] = await this.dataSource.query(
      `INSERT INTO fulfilment_sku (sku, name, unit_price, currency) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sku) DO UPDATE
         SET name = EXCLUDED.name, unit_price = EXCLUDED.unit_price, currency = EXCLUDED.currency, updated_at = now()
       RETURNING sku, name, unit_price, currency`,
      [command.sku, command.name, command.unitPrice, command.currency],
    );
    return { sku: row.sku, name: row.name, unitPrice: Number(row.unit_price), currency: row.currency };
  }
}
