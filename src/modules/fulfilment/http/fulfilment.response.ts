import { ApiProperty } from '@nestjs/swagger';
import type { LocationView, SkuView } from '../application/catalogue.view.js';
import type { OrderView } from '../application/order.view.js';
import type { SkuStockView } from '../application/stock-levels.query.js';
import {
  ORDER_PAYMENT_STATUSES,
  ORDER_STATUSES,
  type OrderLine,
  type OrderPaymentStatus,
  type OrderStatus,
} from '../domain/order/order.js';
import type { Allocation } from '../domain/routing/index.js';
import { LOCATION_KINDS, type LocationKind, type StockLevel } from '../domain/stock/stock.js';

/** The fulfilment module's answers as the OpenAPI document describes them (API.md, "Fulfilment"). */
export class SkuResponse implements SkuView {
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', description: 'integer minor units' }) unitPrice!: number;
  @ApiProperty({ example: 'SAR' }) currency!: string;
}

export class LocationResponse implements LocationView {
  @ApiProperty() locationId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: LOCATION_KINDS }) kind!: LocationKind;
  @ApiProperty() lat!: number;
  @ApiProperty() lon!: number;
  @ApiProperty() handlingCostPerUnit!: number;
  @ApiProperty() shippingCostPerKm!: number;
  @ApiProperty() fixedCostPerShipment!: number;
}

/** API.md, `StockLevel`. */
export class StockLevelResponse implements StockLevel {
  @ApiProperty() locationId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty({ type: 'integer' }) onHand!: number;
  @ApiProperty({ type: 'integer' }) reserved!: number;
  @ApiProperty({ type: 'integer', description: 'onHand - reserved, never negative' }) available!: number;
}

export class SkuStockResponse implements SkuStockView {
  @ApiProperty() sku!: string;
  @ApiProperty({ type: [StockLevelResponse] }) locations!: StockLevelResponse[];
  @ApiProperty({ type: 'integer' }) totalAvailable!: number;
}

export class TelemetryAcceptedResponse {
  @ApiProperty({ type: 'integer', description: 'readings recorded' }) accepted!: number;
}

export class OrderLineResponse implements OrderLine {
  @ApiProperty() sku!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) quantity!: number;
}

export class AllocationResponse implements Allocation {
  @ApiProperty() locationId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty({ type: 'integer' }) quantity!: number;
}

export class OrderRoutingResponse {
  @ApiProperty() cost!: number;
  @ApiProperty() solverMs!: number;
  @ApiProperty({ enum: ['milp', 'greedy'] }) solver!: 'milp' | 'greedy';
}

/** API.md, `Order`. */
export class OrderResponse implements OrderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: [OrderLineResponse] }) lines!: OrderLineResponse[];
  @ApiProperty({ type: 'integer', description: 'integer minor units' }) total!: number;
  @ApiProperty({ example: 'SAR' }) currency!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiProperty({ enum: ORDER_PAYMENT_STATUSES }) paymentStatus!: OrderPaymentStatus;
  @ApiProperty({ type: [AllocationResponse] }) allocations!: AllocationResponse[];
  @ApiProperty({ type: OrderRoutingResponse, nullable: true }) routing!: OrderRoutingResponse | null;
  @ApiProperty({ type: String, nullable: true, description: 'why the order was rejected or cancelled' })
  rejectionReason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) shippedAt!: string | null;
}
