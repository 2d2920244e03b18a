import type { EntityManager } from 'typeorm';
import type { OrderCancellationReason, OrderStatus } from '../domain/order/order.js';
import { OrderEntity } from './order.entity.js';

/**
 * The order's one home: every statement that writes `fulfilment_order` (test/architecture/
 * aggregate-homes.e2e-spec.ts keeps every other file from writing the table). Each transition is
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
