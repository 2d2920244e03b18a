export * from './auth/index.js';
export * from './context/index.js';
export { configureHttp, CORRELATION_HEADER } from './http/configure-http.js';
export { ProblemException, ValidationProblem, problemType } from './http/problem.js';
export {
  ApiAuthProblems,
  ApiBodyProblems,
  ApiOkPage,
  ApiProblems,
  FieldErrorSchema,
  ProblemDetails,
} from './http/api-docs.js';
export type { ProblemStatus } from './http/api-docs.js';
export type { FieldError, ProblemDocument } from './http/problem.js';
export { loggingModule } from './logging/logging.module.js';
export { loggableError } from './logging/loggable-error.js';
export type { LoggableError } from './logging/loggable-error.js';
export { PlatformModule } from './platform.module.js';
export { QUEUE_ENGINE } from './engines/queue-engine.port.js';
export type { QueueEngine } from './engines/queue-engine.port.js';
export { WebhookBudget } from './throttling/principal-throttler.guard.js';
export {
  ACCEPTED_CURRENCIES,
  exactMinorUnits,
  IsAcceptedCurrency,
  IsCurrencyCode,
  IsMinorUnits,
  jsonMinorUnits,
  MinorUnitsOutOfRangeError,
  safeMinorUnits,
} from './money.js';
export type { Currency } from './money.js';
export {
  decodeCursor,
  encodeCursor,
  MAX_CURSOR_OFFSET,
  OFFSET_CURSOR,
  PageQuery,
  toPage,
  UUID_CURSOR,
} from './http/pagination.js';
export type { CursorShape, Page } from './http/pagination.js';
export * from './idempotency/index.js';
export { counter, gauge, histogram } from './metrics/metric-registry.js';
export { addScrapeSource } from './metrics/scrape-gauges.js';
export type { Reading, Sample, ScrapedGaugeSpec, ScrapeSource } from './metrics/scrape-gauges.js';
export * from './pruning/index.js';
export * from './tracing/index.js';
