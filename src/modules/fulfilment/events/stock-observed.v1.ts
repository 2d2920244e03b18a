import { IsInt, IsISO8601, Matches, Max, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { LOCATION_ID_PATTERN, MAX_QUANTITY, SKU_PATTERN } from '../domain/stock/stock.js';

export class StockObservedV1Payload {
  @Matches(LOCATION_ID_PATTERN) locationId!: string;
  @Matches(SKU_PATTERN) sku!: string;
  /** Units a scanner counted in the bucket. */
  @IsInt() @Min(0) @Max(MAX_QUANTITY) observedOnHand!: number;
  /** When the scanner counted them (ISO 8601); later observations supersede earlier ones. */
  @IsISO8601({ strict: true }) observedAt!: string;
}

export const StockObservedV1 = defineEvent({
  type: 'fulfilment.stock-observed',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'stock-bucket',
  description: 'A scanner counted the units of one SKU at one location (high-volume telemetry, bulk lane).',
  payload: StockObservedV1Payload,
});

/** The aggregate id of a stock bucket: `${locationId}/${sku}`. */
export function stockBucketId(locationId: string, sku: string): string {
  return `${locationId}/${sku}`;
}
