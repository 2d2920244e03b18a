import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { LOCATION_ID_PATTERN, MAX_QUANTITY, SKU_PATTERN } from '../domain/stock/stock.js';

/** The most readings one telemetry batch may carry. */
export const MAX_TELEMETRY_READINGS = 1000;

export class StockReadingDto {
  @ApiProperty({ pattern: LOCATION_ID_PATTERN.source })
  @Matches(LOCATION_ID_PATTERN)
  locationId!: string;

  @ApiProperty({ pattern: SKU_PATTERN.source })
  @Matches(SKU_PATTERN)
  sku!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  observedOnHand!: number;

  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  observedAt!: string;
}

export class StockTelemetryDto {
  @ApiProperty({ type: [StockReadingDto], minItems: 1, maxItems: MAX_TELEMETRY_READINGS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TELEMETRY_READINGS)
  @ValidateNested({ each: true })
  @Type(() => StockReadingDto)
  readings!: StockReadingDto[];
}
