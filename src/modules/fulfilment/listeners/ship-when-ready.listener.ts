import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';
import { OrderReadyV1, type OrderReadyV1Payload } from '../events/index.js';

export const shipWhenReadySubscription = subscribe(OrderReadyV1, {
  name: 'fulfilment.ship-when-ready',
  module: 'fulfilment',
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 500 },
});

/** Ships a ready order exactly once (compare-and-set `ready` → `shipped`). */
@Injectable()
@HandlesEvents(shipWhenReadySubscription)
export class ShipWhenReadyListener implements EventHandler<OrderReadyV1Payload> {
  constructor(private readonly orders: OrderLifecycle) {}

  async handle(event: Envelope<OrderReadyV1Payload>, tx: EntityManager): Promise<void> {
    await this.orders.ship(tx, event.payload.orderId);
  }
}
