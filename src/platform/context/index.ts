export { correlationIdFrom, currentCorrelation, runWithCorrelation } from './correlation-context.js';
export type { CorrelationContext } from './correlation-context.js';
