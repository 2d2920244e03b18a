import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';

/**
 * Tracing (docs/adr/0034-tracing-across-the-outbox-hop.md). Off unless {@link startTracing} ran:
 * then no SDK is loaded into the API, `@opentelemetry/api` hands out no-op tracers, and every
 * helper here returns at its first line, so the hot paths pay one boolean test.
 */
let provider: NodeTracerProvider | undefined;

const TRACER = 'debts-hub';

export interface TracingOptions {
  /** `service.name` of every span; default `debts-hub`. */
  serviceName?: string;
  /** Where spans go; default OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended). */
  exporter?: SpanExporter;
  /** Export each span as it ends instead of in batches (tests). */
  immediate?: boolean;
}

/**
 * Starts the OpenTelemetry SDK for this process: a tracer provider with W3C trace-context
 * propagation and an AsyncLocalStorage context manager, exporting over OTLP/HTTP. Call once, before
 * the app is created (`main.ts` does when `OTEL_EXPORTER_OTLP_ENDPOINT` is set).
 */
export function startTracing(options: TracingOptions = {}): void {
  if (provider) throw new Error('tracing is already started');
  const exporter = options.exporter ?? new OTLPTraceExporter();
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'debts-hub' }),
    spanProcessors: [options.immediate ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
}

/** Flushes and stops the SDK and removes it from the API (tracing is off again). */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  if (!stopping) return;
  provider = undefined;
  await stopping.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
}

/** Whether spans are recorded in this process. */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/** The W3C `traceparent` of the active span, or undefined when there is none (tracing off). */
export function currentTraceparent(active: Context = context.active()): string | undefined {
  if (!provider) return undefined;
  const carrier: { traceparent?: string } = {};
  propagation.inject(active, carrier);
  return carrier.traceparent;
}

/** The W3C `traceparent` that makes `span` the parent of whatever carries it. */
export function traceparentOf(span: Span): string | undefined {
  return currentTraceparent(trace.setSpan(context.active(), span));
}

/** A context whose parent is the span a `traceparent` names (a fresh root when it is absent or malformed). */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * Runs `fn` inside a new active span (a child of `parent`, else of the active span), ending it when
 * `fn` settles and marking it failed with the error `fn` throws. With tracing off, just runs `fn`.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!provider) return fn(undefined);
  const { parent, ...spanOptions } = options;
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, spanOptions, parent ?? context.active(), async (span): Promise<T> => {
      try {
        return await fn(span);
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
}

/** Starts a span that the caller ends (one whose work spans callbacks); undefined with tracing off. */
export function startSpan(name: string, options: SpanOptions & { parent?: Context } = {}): Span | undefined {
  if (!provider) return undefined;
  const { parent, ...spanOptions } = options;
  return trace.getTracer(TRACER).startSpan(name, spanOptions, parent ?? context.active());
}

/** Runs `fn` with `span` active (so spans and `traceparent`s taken inside are its children). */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** Runs `fn` as a child of the span `traceparent` names (just runs it with tracing off or without one). */
export function withTraceparent<T>(traceparent: string | undefined, fn: () => T): T {
  if (!provider || traceparent === undefined) return fn();
  return context.with(contextFromTraceparent(traceparent), fn);
}

/** Marks `span` failed with `error`. */
export function failed(span: Span | undefined, error: unknown): void {
  if (!span) return;
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
