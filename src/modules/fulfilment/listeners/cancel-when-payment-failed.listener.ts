import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { PaymentFailedV1, type PaymentFailedV1Payload } from '../../payments/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';

export const cancelWhenPaymentFailedSubscription = subscribe(PaymentFailedV1, {
  name: 'fulfilment.cancel-when-payment-failed',
  module: 'fulfilment',
  // Only order payments are delivered: the others get no ledger row, job or inbox row.
  filter: { purpose: 'order' },
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 500 },
});

/** A failed payment cancels an order still awaiting one, releasing its reservation once. */
@Injectable()
@HandlesEvents(cancelWhenPaymentFailedSubscription)
export class CancelWhenPaymentFailedListener implements EventHandler<PaymentFailedV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<PaymentFailedV1Payload>, tx: EntityManager): Promise<void> {
    const { referenceId } = event.payload;
    await this.orders.cancel(tx, referenceId, 'payment-failed', { paymentFailed: true });
  }
}
