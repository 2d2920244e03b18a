import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { PaymentRefundedV1, type PaymentRefundedV1Payload } from '../../payments/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';

export const noteRefundSubscription = subscribe(PaymentRefundedV1, {
  name: 'fulfilment.note-refund',
  module: 'fulfilment',
  // Only order payments are delivered: the others get no ledger row, job or inbox row.
  filter: { purpose: 'order' },
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 500 },
});

/** Shows a refunded order payment on the order (`paymentStatus: refunded`). */
@Injectable()
@HandlesEvents(noteRefundSubscription)
export class NoteRefundListener implements EventHandler<PaymentRefundedV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<PaymentRefundedV1Payload>, tx: EntityManager): Promise<void> {
    const { referenceId, paymentId } = event.payload;
    await this.orders.paymentRefunded(tx, referenceId, paymentId);
  }
}
