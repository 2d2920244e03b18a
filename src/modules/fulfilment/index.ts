/** The fulfilment module's public surface: the only file other modules may import. */
export { FulfilmentModule } from './fulfilment.module.js';
export * from './events/index.js';
export { recordStockObservationSubscription } from './listeners/record-stock-observation.listener.js';
export { TELEMETRY_BODY_LIMIT, TELEMETRY_PATH } from './http/telemetry-limits.js';
