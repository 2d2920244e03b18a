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

/**
 * A sum or `bigint` column as PostgreSQL returns it (text; `sum(bigint)` is `numeric`), as an exact
 * integer of minor units. Read sums as `sum(x)::text` rather than `::bigint`: the cast overflows
 * where the numeric sum does not. `null` (the sum of no rows) is 0.
 * @throws RangeError when `value` is not an integer.
 */
export function exactMinorUnits(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not an exact integer amount of minor units`);
    return BigInt(value);
  }
  if (!/^-?[0-9]+$/.test(value)) throw new RangeError(`"${value}" is not an integer amount of minor units`);
  return BigInt(value);
}

/** Thrown when an amount of minor units does not fit a JavaScript number exactly (beyond ±2^53 − 1). */
export class MinorUnitsOutOfRangeError extends RangeError {
  constructor(readonly what: string) {
    super(`${what} exceeds ${Number.MAX_SAFE_INTEGER} minor units, the largest amount represented exactly`);
    this.name = 'MinorUnitsOutOfRangeError';
  }
}

/**
 * `value` (see {@link exactMinorUnits}) as a number, only when that is exact: money is never
 * rounded silently. `what` names the amount in the error.
 * @throws MinorUnitsOutOfRangeError beyond `Number.MAX_SAFE_INTEGER` in either direction.
 */
export function safeMinorUnits(value: string | number | bigint | null | undefined, what: string): number {
  const exact = exactMinorUnits(value);
  if (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MinorUnitsOutOfRangeError(what);
  }
  return Number(exact);
}

/** An exact amount for JSON: a number while that is exact, its decimal digits beyond (never rounded). */
export function jsonMinorUnits(amount: bigint): number | string {
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return amount <= safe && amount >= -safe ? Number(amount) : amount.toString();
}
