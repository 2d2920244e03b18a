import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_QUANTITY } from '../domain/stock/stock.js';

export class SetStockLevelDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_QUANTITY })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  onHand!: number;
}
