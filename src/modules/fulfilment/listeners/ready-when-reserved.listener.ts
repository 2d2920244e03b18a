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
});

/** Readiness, reservation side: a reserved order whose payment came first becomes `ready`. */
@Injectable()
@HandlesEvents(readyWhenReservedSubscription)
export class ReadyWhenReservedListener implements EventHandler<InventoryReservedV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<InventoryReservedV1Payload>, tx: EntityManager): Promise<void> {
    await this.orders.readyIfComplete(tx, event.payload.orderId);
  }
}
