import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsUUID, ValidateNested } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { AllocationPayload } from './order-lines.js';

export class InventoryReservedV1Payload {
  @IsUUID() orderId!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => AllocationPayload)
  allocations!: AllocationPayload[];
}

export const InventoryReservedV1 = defineEvent({
  type: 'fulfilment.inventory-reserved',
  version: 1,
  owner: 'fulfilment',
  aggregateType: 'order',
  description: 'Every unit of an order is held in the stock buckets the routing optimiser chose.',
  payload: InventoryReservedV1Payload,
});
