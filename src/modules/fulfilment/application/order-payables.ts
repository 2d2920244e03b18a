import { isUUID } from 'class-validator';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Payable, type PayableResolver, Payables, type PayableStanding } from '../../payments/index.js';
import { CLOSED_STATUSES } from '../domain/order/order.js';
import { findOrderOrNull } from '../persistence/orders.js';

/**
 * Tells payments what an order payment may be: exactly the order's total, by its customer, while
 * the order still awaits payment. A paid order is `settled` (a second payment is refused); a
 * rejected or cancelled one `closed` (refused, and a payment confirmed anyway is refunded).
 */
@Injectable()
export class OrderPayables implements PayableResolver, OnModuleInit {
  constructor(private readonly payables: Payables) {}

  onModuleInit(): void {
    this.payables.register('order', this);
  }

  async resolve(tx: EntityManager, referenceId: string): Promise<Payable | undefined> {
    if (!isUUID(referenceId)) return undefined;
    const order = await findOrderOrNull(tx, referenceId);
    if (!order) return undefined;
    let standing: PayableStanding = 'open';
    if (CLOSED_STATUSES.includes(order.status)) standing = 'closed';
    else if (order.paymentStatus === 'confirmed') standing = 'settled';
    return {
      ownerId: order.customerId,
      currency: order.currency,
      rule: { kind: 'exactly', amount: Number(order.total) },
      standing,
    };
  }
}
