import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsString, Length, Max, Min } from 'class-validator';
import { LOCATION_KINDS, type LocationKind } from '../domain/stock/stock.js';

export class UpsertLocationDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: LOCATION_KINDS })
  @IsIn([...LOCATION_KINDS])
  kind!: LocationKind;

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

  @ApiProperty({ type: 'integer', minimum: 0, description: 'integer minor units per unit' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  handlingCostPerUnit!: number;

  @ApiProperty({ minimum: 0, description: 'minor units per km; may be fractional' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  shippingCostPerKm!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'integer minor units per shipment' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  fixedCostPerShipment!: number;
}
