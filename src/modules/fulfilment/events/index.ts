/**
 * Fulfilment's published event contracts: the module's second public entry (ADR 0014). It imports
 * nothing of the module but its domain constants, so a module that fulfilment depends on (payments)
 * may subscribe to these without an import cycle.
 */
export { StockObservedV1, StockObservedV1Payload, stockBucketId } from './stock-observed.v1.js';
export { AllocationPayload, OrderLinePayload, ShipmentPayload } from './order-lines.js';
export { OrderPlacedV1, OrderPlacedV1Payload } from './order-placed.v1.js';
export { InventoryReservedV1, InventoryReservedV1Payload } from './inventory-reserved.v1.js';
export { OrderRejectedV1, OrderRejectedV1Payload } from './order-rejected.v1.js';
export { OrderCancelledV1, OrderCancelledV1Payload } from './order-cancelled.v1.js';
export { OrderReadyV1, OrderReadyV1Payload } from './order-ready.v1.js';
export { OrderShippedV1, OrderShippedV1Payload } from './order-shipped.v1.js';
