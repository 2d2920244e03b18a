import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import {
  becomesReady,
  CANCELLABLE_STATUSES,
  CLOSED_STATUSES,
  type OrderCancellationReason,
  shipmentsOf,
  statusAfterPayment,
} from '../domain/order/order.js';
import { OrderCancelledV1, OrderReadyV1, OrderShippedV1 } from '../events/index.js';
import type { OrderEntity } from '../persistence/order.entity.js';
import {
  lockOrder,
  markCancelled,
  markReady,
  markShipped,
  noteRefund,
  notePaymentOfClosedOrder,
  recordPayment,
} from '../persistence/orders.js';
import { releaseStock, shipStock } from '../persistence/stock-buckets.js';

/** The ledger kind of the posting a shipment makes: the order's payment becomes sales revenue. */
export const ORDER_SHIPPED_KIND = 'order-shipped';
/** The revenue account of shipped orders. */
export const ORDER_REVENUE_ACCOUNT = Accounts.revenue('order');

/**
 * The order transitions that follow payment: readiness, shipping, cancellation, refund records.
 * Every method runs in the caller's transaction (a consumer's inbox transaction, or a reconciler's),
 * takes the order's row lock first, and changes nothing when the order is not in a state the
 * transition starts from - which is what makes each consumer idempotent in effect, whatever the
 * order and number of deliveries.
 */
@Injectable()
export class OrderLifecycle {
  private readonly logger = new Logger(OrderLifecycle.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
  ) {}

  /**
   * Records a confirmed payment. A `placed` order becomes `paid`; a `reserved` one becomes `ready`.
   * For a rejected or cancelled order only the payment status is noted: payments refunds it.
   */
  async paymentConfirmed(tx: EntityManager, orderId: string, paymentId: string): Promise<void> {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`payment ${paymentId} pays unknown order ${orderId}`);
    if (CLOSED_STATUSES.includes(order.status)) {
      // Refunded by payments (it saw the order closed); a refund record may already have come.
      await notePaymentOfClosedOrder(tx, orderId, paymentId);
      return;
    }
    const next = statusAfterPayment(order.status);
    if (next === undefined || order.paymentStatus === 'confirmed') {
      if (order.paymentId !== paymentId) {
        // Payments refunds a second confirmed payment of an exactly-priced reference at confirmation.
        this.logger.warn(`order ${orderId} is paid by ${order.paymentId}; payment ${paymentId} is a duplicate`);
      }
      return;
    }
    await recordPayment(tx, orderId, next, paymentId);
    // The row is locked and its new state known: decide readiness without reading it again.
    await this.markReadyIfComplete(tx, { ...order, status: next, paymentStatus: 'confirmed', paymentId });
  }

  /**
   * Moves a held and paid order to `ready` and announces it; a no-op otherwise (not both yet, or
   * already past `ready`). Called whenever either fact arrives.
   */
  async readyIfComplete(tx: EntityManager, orderId: string): Promise<boolean> {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} does not exist`);
    return this.markReadyIfComplete(tx, order);
  }

  /**
   * {@link readyIfComplete} for an order already locked (and up to date) in this transaction: the
   * reservation decides readiness in its own transaction, as the payment side does
   * (docs/adr/0044-straight-flows.md).
   */
  async markReadyIfComplete(
    tx: EntityManager,
    order: Pick<OrderEntity, 'id' | 'status' | 'reservedAt' | 'paymentStatus' | 'paymentId'>,
  ): Promise<boolean> {
    const orderId = order.id;
    const ready = becomesReady({
      status: order.status,
      held: order.reservedAt !== null,
      paymentConfirmed: order.paymentStatus === 'confirmed',
    });
    if (!ready) return false;
    await markReady(tx, orderId);
    await this.outbox.append(tx, {
      contract: OrderReadyV1,
      aggregateId: orderId,
      payload: { orderId, paymentId: order.paymentId! },
    });
    return true;
  }

  /**
   * Ships a `ready` order exactly once: its units leave `reserved` and `on_hand`, the payment moves
   * from what is held for the customer to sales revenue, and `fulfilment.order-shipped` is appended.
   */
  async ship(tx: EntityManager, orderId: string): Promise<boolean> {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} does not exist`);
    if (order.status !== 'ready') return false;
    await shipStock(tx, order.allocations);
    await markShipped(tx, orderId);
    const total = Number(order.total);
    await this.ledger.post(tx, {
      source: `order-${orderId}`,
      kind: ORDER_SHIPPED_KIND,
      currency: order.currency,
      legs: [
        { account: Accounts.customerOrders(order.customerId), amount: total },
        { account: ORDER_REVENUE_ACCOUNT, amount: -total },
      ],
    });
    await this.outbox.append(tx, {
      contract: OrderShippedV1,
      aggregateId: orderId,
      payload: { orderId, shipments: shipmentsOf(order.allocations) },
    });
    return true;
  }

  /**
   * Cancels an order still awaiting payment (`placed` or `reserved`), releasing whatever it holds,
   * exactly once. With `heldBefore`, only an order whose reservation is older than that is
   * cancelled (the reservation TTL), so a payment recorded meanwhile wins. Returns whether it did.
   */
  async cancel(
    tx: EntityManager,
    orderId: string,
    reason: OrderCancellationReason,
    options: { heldBefore?: Date; paymentFailed?: boolean } = {},
  ): Promise<boolean> {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} does not exist`);
    if (!CANCELLABLE_STATUSES.includes(order.status)) return false;
    if (options.heldBefore && !(order.status === 'reserved' && order.reservedAt! < options.heldBefore)) return false;
    if (order.reservedAt !== null) await releaseStock(tx, order.allocations);
    await markCancelled(tx, orderId, reason, options.paymentFailed ?? false);
    await this.outbox.append(tx, { contract: OrderCancelledV1, aggregateId: orderId, payload: { orderId, reason } });
    return true;
  }

  /** Notes that payments refunded the order's payment. */
  async paymentRefunded(tx: EntityManager, orderId: string, paymentId: string): Promise<void> {
    await noteRefund(tx, orderId, paymentId);
  }
}
