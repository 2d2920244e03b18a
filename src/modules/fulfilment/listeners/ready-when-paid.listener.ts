import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { PaymentConfirmedV1, type PaymentConfirmedV1Payload } from '../../payments/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';

export const readyWhenPaidSubscription = subscribe(PaymentConfirmedV1, {
  name: 'fulfilment.ready-when-paid',
  module: 'fulfilment',
  // Only order payments are delivered: the others get no ledger row, job or inbox row.
  filter: { purpose: 'order' },
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 500 },
});

/** Readiness, payment side: records an order's confirmed payment; a reserved order becomes `ready`. */
@Injectable()
@HandlesEvents(readyWhenPaidSubscription)
export class ReadyWhenPaidListener implements EventHandler<PaymentConfirmedV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<PaymentConfirmedV1Payload>, tx: EntityManager): Promise<void> {
    const { referenceId, paymentId } = event.payload;
    await this.orders.paymentConfirmed(tx, referenceId, paymentId);
  }
}
