export { StockObservedV1, StockObservedV1Payload, stockBucketId } from './stock-observed.v1.js';
