/**
 * The fulfilment module's public surface. Other modules import this file, or `events/index.ts` for
 * the event contracts alone (ADR 0014).
 */
export { FulfilmentModule } from './fulfilment.module.js';
export * from './events/index.js';
export { recordStockObservationSubscription } from './listeners/record-stock-observation.listener.js';
export { reserveInventorySubscription } from './listeners/reserve-inventory-when-order-placed.listener.js';
export { readyWhenReservedSubscription } from './listeners/ready-when-inventory-reserved.listener.js';
export { readyWhenPaidSubscription } from './listeners/ready-when-payment-confirmed.listener.js';
export { cancelWhenPaymentFailedSubscription } from './listeners/cancel-when-payment-failed.listener.js';
export { shipWhenReadySubscription } from './listeners/ship-when-ready.listener.js';
export { noteRefundSubscription } from './listeners/note-refund-when-payment-refunded.listener.js';
export { CUSTOMER_ID_PATTERN, ORDER_STATUSES } from './domain/order/order.js';
export type { OrderStatus, OrderPaymentStatus } from './domain/order/order.js';
export type { OrderView } from './application/order.view.js';
export { TELEMETRY_BODY_LIMIT, TELEMETRY_PATH } from './http/telemetry-limits.js';
