/**
 * The fulfilment module's public surface. Other modules import this file, or `events/index.ts` for
 * the event contracts alone (ADR 0014).
 */
export { FulfilmentModule } from './fulfilment.module.js';
export * from './events/index.js';
export { CUSTOMER_ID_PATTERN, ORDER_STATUSES } from './domain/order/order.js';
export type { OrderStatus, OrderPaymentStatus } from './domain/order/order.js';
export type { OrderView } from './application/order.view.js';
export type { SkuStockView } from './application/stock-levels.query.js';
export type { StockLevel } from './domain/stock/stock.js';
export { TELEMETRY_BODY_LIMIT, TELEMETRY_PATH } from './http/telemetry-limits.js';
export { fulfilmentManifest } from './fulfilment.manifest.js';
