/** SKU codes and location ids: 1-64 letters, digits, `-`, `_` or `.`. */
export const SKU_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const LOCATION_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const LOCATION_KINDS = ['store', 'warehouse'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

/** Largest quantity a stock bucket holds (the columns are `int`). */
export const MAX_QUANTITY = 2_147_483_647;

/** One bucket's quantities; `available` is never negative (a database CHECK guarantees it). */
export interface StockLevel {
  locationId: string;
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

export function stockLevel(locationId: string, sku: string, onHand: number, reserved: number): StockLevel {
  return { locationId, sku, onHand, reserved, available: onHand - reserved };
}
