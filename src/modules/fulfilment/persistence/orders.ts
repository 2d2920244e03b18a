import type { EntityManager } from 'typeorm';
import type { OrderCancellationReason, OrderStatus } from '../domain/order/order.js';
import { OrderEntity } from './order.entity.js';

/**
 * The order's one home: every statement in src/ that touches `fulfilment_order`, read or write
 * (test/architecture/aggregate-homes.e2e-spec.ts fails on a statement anywhere else), including the
 * controller's and payables' reads, the open-unpaid cap and the reservation-TTL sweep. The one
 * exception is the stock reconciliation's read, which joins orders to buckets in one statement and
 * lives with the aggregate it checks (stock-buckets.ts, {@link reservedVersusOrders}). Each transition is
 * named for what it records; the callers decide it (src/modules/fulfilment/domain/order/order.ts)
 * under the order's row lock ({@link lockOrder}) in their transaction.
 */

/** A new order, as placed; PostgreSQL fills in the timestamps. */
export type NewOrder = Pick<
  OrderEntity,
  | 'id'
  | 'customerId'
  | 'lines'
  | 'total'
  | 'currency'
  | 'shipToLat'
  | 'shipToLon'
  | 'status'
  | 'paymentStatus'
  | 'allocations'
>;

/** The order `id` locked for the rest of the transaction, or `null`. */
export async function lockOrder(tx: EntityManager, id: string): Promise<OrderEntity | null> {
  return tx.getRepository(OrderEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
}

export async function findOrder(tx: EntityManager, id: string): Promise<OrderEntity> {
  return tx.getRepository(OrderEntity).findOneByOrFail({ id });
}

export async function insertOrder(tx: EntityManager, order: NewOrder): Promise<void> {
  await tx.getRepository(OrderEntity).insert(order);
}

/** The stock is held: the plan, what it costs and how it was found. */
export async function recordReservation(
  tx: EntityManager,
  id: string,
  reservation: Pick<
    OrderEntity,
    'status' | 'allocations' | 'routingCost' | 'routingSolver' | 'routingSolverMs' | 'reservedAt'
  >,
): Promise<void> {
  await tx.getRepository(OrderEntity).update({ id }, reservation);
}

/** Not enough stock: closed, nothing held. */
export async function recordRejection(tx: EntityManager, id: string): Promise<void> {
  await tx
    .getRepository(OrderEntity)
    .update({ id }, { status: 'rejected', rejectionReason: 'insufficient-stock', closedAt: new Date() });
}

/** A confirmed payment of an open order: its next status (`paid`, or `reserved` → ready next). */
export async function recordPayment(
  tx: EntityManager,
  id: string,
  status: OrderStatus,
  paymentId: string,
): Promise<void> {
  await tx.getRepository(OrderEntity).update({ id }, { status, paymentStatus: 'confirmed', paymentId });
}

/** A payment confirmed for an order already closed: only noted (payments refunds it), once. */
export async function notePaymentOfClosedOrder(tx: EntityManager, id: string, paymentId: string): Promise<void> {
  await tx.query(
    `UPDATE fulfilment_order SET payment_status = 'confirmed', payment_id = $2, updated_at = now()
     WHERE id = $1 AND payment_status IN ('none', 'failed')`,
    [id, paymentId],
  );
}

export async function markReady(tx: EntityManager, id: string): Promise<void> {
  await tx.getRepository(OrderEntity).update({ id }, { status: 'ready' });
}

export async function markShipped(tx: EntityManager, id: string): Promise<void> {
  await tx.getRepository(OrderEntity).update({ id }, { status: 'shipped', shippedAt: new Date() });
}

export async function markCancelled(
  tx: EntityManager,
  id: string,
  reason: OrderCancellationReason,
  paymentFailed: boolean,
): Promise<void> {
  await tx.getRepository(OrderEntity).update(
    { id },
    {
      status: 'cancelled',
      cancellationReason: reason,
      closedAt: new Date(),
      ...(paymentFailed ? { paymentStatus: 'failed' as const } : {}),
    },
  );
}

/** Payments refunded the order's payment: noted once. */
export async function noteRefund(tx: EntityManager, id: string, paymentId: string): Promise<void> {
  await tx.query(
    `UPDATE fulfilment_order SET payment_status = 'refunded', payment_id = coalesce(payment_id, $2), updated_at = now()
     WHERE id = $1 AND payment_status <> 'refunded'`,
    [id, paymentId],
  );
}

/** The order, or null when there is none. */
export async function findOrderOrNull(tx: EntityManager, id: string): Promise<OrderEntity | null> {
  return tx.getRepository(OrderEntity).findOneBy({ id });
}

/**
 * How many of the customer's orders are open (`statuses`) without a confirmed payment. Callers
 * that enforce a cap take the customer's lock first, so the count cannot go stale before it is used.
 */
export async function countOpenUnpaidOf(
  tx: EntityManager,
  customerId: string,
  statuses: readonly OrderStatus[],
): Promise<number> {
  const [{ open }]: Array<{ open: number }> = await tx.query(
    `SELECT count(*)::int AS open FROM fulfilment_order
       WHERE customer_id = $1 AND status = ANY($2::text[]) AND payment_status <> 'confirmed'`,
    [customerId, statuses],
  );
  return open;
}

/** Orders that have held stock since before `heldBefore`, oldest reservation first, `limit` at most. */
export async function reservedBefore(
  tx: EntityManager,
  heldBefore: Date,
  limit: number,
): Promise<Array<{ id: string; reserved_at: Date }>> {
  return tx.query(
    `SELECT id, reserved_at FROM fulfilment_order
       WHERE status = 'reserved' AND reserved_at < $1 ORDER BY reserved_at LIMIT $2`,
    [heldBefore, limit],
  );
}
