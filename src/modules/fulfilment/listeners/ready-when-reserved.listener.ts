import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';
import { InventoryReservedV1, type InventoryReservedV1Payload } from '../events/index.js';

export const readyWhenReservedSubscription = subscribe(InventoryReservedV1, {
  name: 'fulfilment.ready-when-reserved',
  module: 'fulfilment',
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 500 },
  retired: 'the reservation decides readiness in its own transaction (ADR 0044)',
});

/**
 * Readiness, reservation side, as it was before the reservation decided it in its own transaction:
 * kept only to handle deliveries made before that release (a no-op for an order already `ready`).
 * Delete it, with its manifest entry, once none is open.
 */
@Injectable()
@HandlesEvents(readyWhenReservedSubscription)
export class ReadyWhenReservedListener implements EventHandler<InventoryReservedV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<InventoryReservedV1Payload>, tx: EntityManager): Promise<void> {
    await this.orders.readyIfComplete(tx, event.payload.orderId);
  }
}
