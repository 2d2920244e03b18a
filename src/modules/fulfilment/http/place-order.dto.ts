import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsInt,
  IsNumber,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CUSTOMER_ID_PATTERN, MAX_ORDER_LINES } from '../domain/order/order.js';
import { MAX_QUANTITY, SKU_PATTERN } from '../domain/stock/stock.js';

export class OrderLineDto {
  @ApiProperty({ pattern: SKU_PATTERN.source })
  @Matches(SKU_PATTERN)
  sku!: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}

export class ShipToDto {
  @ApiProperty({ minimum: -90, maximum: 90 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-90)
  @Max(90)
  lat!: number;

  @ApiProperty({ minimum: -180, maximum: 180 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-180)
  @Max(180)
  lon!: number;
}

/** `POST /v1/orders` (API.md): the total is never accepted from the client, it is computed. */
export class PlaceOrderDto {
  @ApiProperty({ pattern: CUSTOMER_ID_PATTERN.source })
  @Matches(CUSTOMER_ID_PATTERN)
  customerId!: string;

  @ApiProperty({ type: [OrderLineDto], minItems: 1, maxItems: MAX_ORDER_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines!: OrderLineDto[];

  @ApiProperty({ type: ShipToDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => ShipToDto)
  shipTo!: ShipToDto;
}
