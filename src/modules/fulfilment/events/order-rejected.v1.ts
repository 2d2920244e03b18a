import { IsIn, IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { ORDER_REJECTION_REASONS, type OrderRejectionReason } from '../domain/order/order.js';

export class OrderRejectedV1Payload {
  @IsUUID() orderId!: string;
  @IsIn([...ORDER_REJECTION_REASONS]) reason!: OrderRejectionReason;
}

export const OrderRejectedV1 = defineEvent({
  type: 'fulfilment.order-rejected',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description: 'An order could not be fully reserved; nothing is held. A payment for it is refunded.',
  payload: OrderRejectedV1Payload,
});
