import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsUUID, ValidateNested } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { ShipmentPayload } from './order-lines.js';

export class OrderShippedV1Payload {
  @IsUUID() orderId!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => ShipmentPayload)
  shipments!: ShipmentPayload[];
}

export const OrderShippedV1 = defineEvent({
  type: 'fulfilment.order-shipped',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description: 'An order left its locations: the shipped units left both on-hand and reserved stock.',
  payload: OrderShippedV1Payload,
});
