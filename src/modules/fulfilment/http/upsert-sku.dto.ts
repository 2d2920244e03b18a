import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsAcceptedCurrency, IsMinorUnits } from '../../../platform/index.js';

export class UpsertSkuDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @IsMinorUnits()
  unitPrice!: number;

  @IsAcceptedCurrency()
  currency!: string;
}
