import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsUUID, Matches, Min, ValidateNested } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';
import { CUSTOMER_ID_PATTERN } from '../domain/order/order.js';
import { OrderLinePayload } from './order-lines.js';

export class OrderPlacedV1Payload {
  @IsUUID() orderId!: string;
  @Matches(CUSTOMER_ID_PATTERN) customerId!: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => OrderLinePayload) lines!: OrderLinePayload[];
  /** Integer minor units, computed from SKU prices when the order was placed. */
  @IsInt() @Min(1) total!: number;
  @IsCurrencyCode() currency!: string;
}

export const OrderPlacedV1 = defineEvent({
  type: 'fulfilment.order-placed',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description: 'A customer placed an order; its total was computed from SKU prices. Stock is not held yet.',
  payload: OrderPlacedV1Payload,
});
