import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** ISO 4217 codes this deployment accepts (API.md: default accepted set SAR). */
export const ACCEPTED_CURRENCIES = ['SAR'] as const;
export type Currency = (typeof ACCEPTED_CURRENCIES)[number];

/** A positive amount in integer minor units (halalas for SAR). */
export const IsMinorUnits = () =>
  applyDecorators(
    IsInt({ message: '$property must be an integer amount in minor units' }),
    Min(1, { message: '$property must be positive' }),
    Max(Number.MAX_SAFE_INTEGER),
    ApiProperty({ type: 'integer', minimum: 1, description: 'integer minor units' }),
  );

/** A currency from the accepted set, for request bodies. */
export const IsAcceptedCurrency = () =>
  applyDecorators(
    IsIn([...ACCEPTED_CURRENCIES], { message: `$property must be one of ${ACCEPTED_CURRENCIES.join(', ')}` }),
    ApiProperty({ enum: ACCEPTED_CURRENCIES }),
  );

/** An ISO 4217 code, for event payloads (which must keep validating if the accepted set changes). */
export const IsCurrencyCode = () => applyDecorators(IsString(), Matches(/^[A-Z]{3}$/));
