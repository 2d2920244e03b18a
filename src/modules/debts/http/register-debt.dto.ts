import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsAcceptedCurrency, IsMinorUnits } from '../../../platform/index.js';
import { CITIZEN_ID_PATTERN, DEBT_KINDS, type DebtKind } from '../domain/debt.js';

export class RegisterDebtDto {
  @ApiProperty({ pattern: CITIZEN_ID_PATTERN.source })
  @Matches(CITIZEN_ID_PATTERN, { message: 'citizenId must be 1-64 letters, digits, "-" or "_"' })
  citizenId!: string;

  @ApiProperty({ description: "the issuer's natural key" })
  @IsString()
  @Length(1, 128)
  reference!: string;

  @ApiProperty({ enum: DEBT_KINDS })
  @IsIn([...DEBT_KINDS])
  kind!: DebtKind;

  @IsMinorUnits()
  amount!: number;

  @IsAcceptedCurrency()
  currency!: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'dueDate must be a date (YYYY-MM-DD)' })
  dueDate?: string;
}
