import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import {
  OrderCancelledV1,
  type OrderCancelledV1Payload,
  OrderRejectedV1,
  type OrderRejectedV1Payload,
} from '../../fulfilment/events/index.js';
import { lockPaymentReference } from '../application/reference-lock.js';
import { PaymentRefunder } from '../application/refund-payment.js';
import { PaymentRepository } from '../persistence/payment.repository.js';

export const refundWhenOrderClosedSubscription = subscribe([OrderRejectedV1, OrderCancelledV1], {
  name: 'payments.refund-when-order-closed',
  module: 'payments',
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 1000 },
});

/**
 * Refunds the confirmed payments of an order that was rejected or cancelled (SPEC.md, "Orders"
 * point 5). Runs in the inbox transaction under the order's payment-reference lock, the lock a
 * payment request and a confirmation take too: a payment still pending now is refunded by its own
 * confirmation, which will find the order closed (see `GatewayResultApplier`), and a confirmation
 * in flight is waited for and then seen here. Each refund is a compare-and-set, so a redelivered
 * or a second closing event refunds nothing twice.
 */
@Injectable()
@HandlesEvents(refundWhenOrderClosedSubscription)
export class RefundWhenOrderClosedListener implements EventHandler<OrderRejectedV1Payload | OrderCancelledV1Payload> {
  private readonly logger = new Logger(RefundWhenOrderClosedListener.name);

  constructor(
    private readonly refunder: PaymentRefunder,
    private readonly payments: PaymentRepository,
  ) {}

  async handle(event: Envelope<OrderRejectedV1Payload | OrderCancelledV1Payload>, tx: EntityManager): Promise<void> {
    const { orderId, reason } = event.payload;
    await lockPaymentReference(tx, 'order', orderId);
    const confirmed = await this.payments.idsOfReference(tx, 'order', orderId, 'confirmed');
    const closed = event.type === OrderRejectedV1.type ? 'rejected' : 'cancelled';
    for (const id of confirmed) {
      if (await this.refunder.request(tx, id, `order ${closed} (${reason})`)) {
        this.logger.log(`payment ${id} to be refunded: order ${orderId} was ${closed} (${reason})`);
      }
    }
  }
}
