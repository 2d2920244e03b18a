import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, isUUID, Max, MaxLength, Min } from 'class-validator';
import { ValidationProblem } from './problem.js';

/** `?limit=` (default 50, max 200) and `?cursor=` (API.md, "Lists"). */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** A page of a list; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * What the key inside one list's cursor must look like. A cursor is the base64url of that key; the
 * client can change it, so every list states the key's shape and a key of another shape is a 400,
 * never a value that reaches SQL (where a malformed uuid or an out-of-range offset would be a 500).
 */
export interface CursorShape<K> {
  /** Names the shape in TSDoc and problems; not shown to clients. */
  readonly name: string;
  /** The key `text` stands for, or undefined when it is not a key of this shape. */
  parse(text: string): K | undefined;
  format(key: K): string;
}

/** Keyset lists ordered by a uuid id (debts, applications, reconciliation runs and findings). */
export const UUID_CURSOR: CursorShape<string> = {
  name: 'uuid',
  parse: (text) => (isUUID(text) ? text.toLowerCase() : undefined),
  format: (key) => key,
};

/** Rows an offset cursor may skip: far beyond any real list, well inside PostgreSQL's `bigint`. */
export const MAX_CURSOR_OFFSET = 1_000_000_000;

/** Offset lists (admin dead letters, message journeys): a non-negative integer, in canonical decimal. */
export const OFFSET_CURSOR: CursorShape<number> = {
  name: 'offset',
  parse: (text) => (/^(0|[1-9][0-9]{0,9})$/.test(text) && Number(text) <= MAX_CURSOR_OFFSET ? Number(text) : undefined),
  format: (key) => String(key),
};

/** The opaque cursor that carries `key`. */
export function encodeCursor<K>(shape: CursorShape<K>, key: K): string {
  return Buffer.from(shape.format(key), 'utf8').toString('base64url');
}

/**
 * The key `cursor` carries, or undefined for the first page (no cursor).
 * @throws ValidationProblem 400 (field `cursor`) when `cursor` is not one this list handed out:
 *   not canonical base64url, not UTF-8, or a key of another shape.
 */
export function decodeCursor<K>(shape: CursorShape<K>, cursor: string | undefined): K | undefined {
  if (cursor === undefined) return undefined;
  const bytes = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url') : undefined;
  // Re-encoding must give the cursor back: that rejects stray bits in the last character and
  // anything Node's lenient decoder silently skipped.
  const text = bytes && bytes.toString('base64url') === cursor ? bytes.toString('utf8') : undefined;
  const key = text !== undefined && Buffer.from(text, 'utf8').equals(bytes!) ? shape.parse(text) : undefined;
  if (key === undefined)
    throw new ValidationProblem([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
  return key;
}

/**
 * Builds a page from `limit + 1` rows ordered by a unique, increasing key: the extra row only
 * tells that another page exists.
 */
export function toPage<R, T, K>(
  rows: R[],
  limit: number,
  shape: CursorShape<K>,
  key: (row: R) => K,
  map: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items: items.map(map),
    nextCursor: rows.length > limit ? encodeCursor(shape, key(items[items.length - 1])) : null,
  };
}
