import { IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class OrderReadyV1Payload {
  @IsUUID() orderId!: string;
  @IsUUID() paymentId!: string;
}

export const OrderReadyV1 = defineEvent({
  type: 'fulfilment.order-ready',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description: 'An order is both reserved and paid (in whichever order they came): it can ship.',
  payload: OrderReadyV1Payload,
});
