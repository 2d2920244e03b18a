import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, Matches, Max, Min, ValidateNested } from 'class-validator';
import { LOCATION_ID_PATTERN, MAX_QUANTITY, SKU_PATTERN } from '../domain/stock/stock.js';

/** One line of an order as events carry it. */
export class OrderLinePayload {
  @Matches(SKU_PATTERN) sku!: string;
  @IsInt() @Min(1) @Max(MAX_QUANTITY) quantity!: number;
}

/** Units of one SKU taken from one location. */
export class AllocationPayload {
  @Matches(LOCATION_ID_PATTERN) locationId!: string;
  @Matches(SKU_PATTERN) sku!: string;
  @IsInt() @Min(1) @Max(MAX_QUANTITY) quantity!: number;
}

/** What one location ships. */
export class ShipmentPayload {
  @Matches(LOCATION_ID_PATTERN) locationId!: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => OrderLinePayload) lines!: OrderLinePayload[];
}
