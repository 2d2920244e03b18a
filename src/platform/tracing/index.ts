export {
  contextFromTraceparent,
  currentTraceparent,
  failed,
  inSpan,
  startSpan,
  startTracing,
  stopTracing,
  traceparentOf,
  tracingEnabled,
  withSpan,
  withTraceparent,
} from './tracing.js';
export type { TracingOptions } from './tracing.js';
export { httpTracing } from './http-tracing.js';
