/**
 * The order's life cycle (SPEC.md "Orders", API.md `Order`), as pure rules. The persistence layer
 * applies every transition with a compare-and-set on the current status under the order's row lock,
 * so each one happens once however often the event that causes it is delivered.
 *
 * ```
 * placed ──reserved──▶ reserved ──paid──▶ ready ──▶ shipped
 *   │  └──paid──▶ paid ──reserved──▶ ready
 *   ├─ rejected  (cannot be fully reserved; from placed or paid: a payment is refunded)
 *   └─ cancelled (payment failed, or none within the reservation TTL; the reservation is released)
 * ```
 */

/** Customer ids: the same opaque shape as citizen ids (1-64 letters, digits, `-`, `_`). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const ORDER_STATUSES = ['placed', 'reserved', 'paid', 'ready', 'shipped', 'rejected', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_PAYMENT_STATUSES = ['none', 'confirmed', 'failed', 'refunded'] as const;
export type OrderPaymentStatus = (typeof ORDER_PAYMENT_STATUSES)[number];

export const ORDER_REJECTION_REASONS = ['insufficient-stock'] as const;
export type OrderRejectionReason = (typeof ORDER_REJECTION_REASONS)[number];

export const ORDER_CANCELLATION_REASONS = ['payment-failed', 'reservation-expired'] as const;
export type OrderCancellationReason = (typeof ORDER_CANCELLATION_REASONS)[number];

/** Most lines an order may have (distinct SKUs). */
export const MAX_ORDER_LINES = 100;

export interface OrderLine {
  sku: string;
  quantity: number;
}

/**
 * The statuses of an open, unpaid order: placed or holding stock, with no payment confirmed (a
 * confirmed payment moves `placed` to `paid` and `reserved` to `ready` in the same transaction).
 * A customer may hold at most `ORDER_MAX_OPEN_UNPAID` of them; rejected and cancelled orders are
 * closed, paid ones are not unpaid.
 */
export const OPEN_UNPAID_STATUSES: readonly OrderStatus[] = ['placed', 'reserved'];

/** The units an order asks for: the sum of its lines' quantities (capped by `ORDER_MAX_UNITS`). */
export function orderUnits(lines: readonly OrderLine[]): number {
  return lines.reduce((units, line) => units + line.quantity, 0);
}

/** Statuses from which stock may still be reserved (when nothing is held yet). */
export const RESERVABLE_STATUSES: readonly OrderStatus[] = ['placed', 'paid'];
/** Statuses from which a missing or failed payment cancels the order. */
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['placed', 'reserved'];
/** Statuses that end the order without shipping: a payment confirmed for it must be refunded. */
export const CLOSED_STATUSES: readonly OrderStatus[] = ['rejected', 'cancelled'];

/** The status once stock is held: `reserved` awaits payment; a `paid` order waits for readiness. */
export function statusAfterReservation(current: OrderStatus): OrderStatus | undefined {
  if (current === 'placed') return 'reserved';
  if (current === 'paid') return 'paid';
  return undefined;
}

/** The status once the payment is confirmed, or `undefined` when it changes nothing. */
export function statusAfterPayment(current: OrderStatus): OrderStatus | undefined {
  if (current === 'placed') return 'paid';
  if (current === 'reserved') return 'reserved';
  return undefined;
}

/** What readiness looks at. */
export interface ReadinessFacts {
  status: OrderStatus;
  /** Stock is held for every unit. */
  held: boolean;
  paymentConfirmed: boolean;
}

/** An order becomes `ready` once stock is held and payment confirmed, whichever came first. */
export function becomesReady(order: ReadinessFacts): boolean {
  return (order.status === 'reserved' || order.status === 'paid') && order.held && order.paymentConfirmed;
}

/** Why an order line set is unacceptable, or `undefined`. */
export function invalidLines(lines: readonly OrderLine[]): string | undefined {
  if (lines.length === 0) return 'an order needs at least one line';
  if (lines.length > MAX_ORDER_LINES) return `an order has at most ${MAX_ORDER_LINES} lines`;
  const seen = new Set<string>();
  for (const line of lines) {
    if (seen.has(line.sku)) return `SKU ${line.sku} appears on more than one line; put its quantities on one line`;
    seen.add(line.sku);
  }
  return undefined;
}

/**
 * The order total in minor units: the sum of unit price × quantity.
 * @throws RangeError when it would not be a safe integer (no silent rounding of money).
 */
export function orderTotal(lines: readonly OrderLine[], unitPrice: (sku: string) => number): number {
  let total = 0;
  for (const line of lines) {
    total += unitPrice(line.sku) * line.quantity;
    if (!Number.isSafeInteger(total)) throw new RangeError('the order total is too large');
  }
  return total;
}

/** Allocations grouped per location, for the shipment record. */
export function shipmentsOf(
  allocations: ReadonlyArray<{ locationId: string; sku: string; quantity: number }>,
): Array<{ locationId: string; lines: OrderLine[] }> {
  const byLocation = new Map<string, OrderLine[]>();
  for (const { locationId, sku, quantity } of allocations) {
    const lines = byLocation.get(locationId) ?? [];
    lines.push({ sku, quantity });
    byLocation.set(locationId, lines);
  }
  return [...byLocation.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([locationId, lines]) => ({ locationId, lines: lines.sort((x, y) => x.sku.localeCompare(y.sku)) }));
}
