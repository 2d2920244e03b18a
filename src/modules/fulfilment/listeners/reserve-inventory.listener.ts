import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { ReserveInventory } from '../application/reserve-inventory.js';
import { OrderPlacedV1, type OrderPlacedV1Payload } from '../events/index.js';

/** Reservation runs the routing solver: the `default` lane keeps that CPU off payments' critical path. */
export const reserveInventorySubscription = subscribe(OrderPlacedV1, {
  name: 'fulfilment.reserve-inventory',
  module: 'fulfilment',
  lane: 'default',
  retry: { attempts: 10, backoffMs: 500 },
});

/** Reserves a placed order's stock, or rejects it with nothing held (see {@link ReserveInventory}). */
@Injectable()
@HandlesEvents(reserveInventorySubscription)
export class ReserveInventoryListener implements EventHandler<OrderPlacedV1Payload> {
  constructor(private readonly reservation: ReserveInventory) {}

  async handle(event: Envelope<OrderPlacedV1Payload>, tx: EntityManager): Promise<void> {
    await this.reservation.reserve(tx, event.payload.orderId);
  }
}
