import { IsIn, IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { ORDER_CANCELLATION_REASONS, type OrderCancellationReason } from '../domain/order/order.js';

export class OrderCancelledV1Payload {
  @IsUUID() orderId!: string;
  @IsIn([...ORDER_CANCELLATION_REASONS]) reason!: OrderCancellationReason;
}

export const OrderCancelledV1 = defineEvent({
  type: 'fulfilment.order-cancelled',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description:
    'An order was cancelled (its payment failed, or none came within the reservation TTL); its reservation ' +
    'was released. A payment confirmed for it afterwards is refunded.',
  payload: OrderCancelledV1Payload,
});
