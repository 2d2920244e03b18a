import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, ROOT_CONTEXT, type Span, type SpanOptions } from '@opentelemetry/api';
import {
  type Counter,
  Counter as PromCounter,
  type Histogram,
  Histogram as PromHistogram,
  register,
} from 'prom-client';

/**
 * What the outbox needs from its host, declared here and bound by the composition root
 * (`OutboxModule.forRoot({ ports })`), so the outbox imports nothing of the app around it. Each port
 * has a default that works on its own (an async-local context of its own, tracing off, metrics in
 * prom-client's default registry without scrape-time gauges), so a host binds only what it shares.
 */

/** The chain an event belongs to: appended events carry it, handlers run inside it. */
export interface OutboxCorrelation {
  correlationId: string;
  /** The id of the event whose handling caused this work, if any. */
  causationId?: string;
}

/** The host's request/job context: the writer reads it, the worker runs each handler inside one. */
export interface OutboxContextPort {
  current(): OutboxCorrelation | undefined;
  run<T>(context: OutboxCorrelation, fn: () => T): T;
}

/** OpenTelemetry spans through the host's tracer; every function is a no-op while tracing is off. */
export interface OutboxTracingPort {
  enabled(): boolean;
  inSpan<T>(
    name: string,
    options: SpanOptions & { parent?: Context },
    fn: (span: Span | undefined) => Promise<T>,
  ): Promise<T>;
  startSpan(name: string, options?: SpanOptions & { parent?: Context }): Span | undefined;
  traceparentOf(span: Span): string | undefined;
  contextFromTraceparent(traceparent: string | null | undefined): Context;
  withTraceparent<T>(traceparent: string | undefined, fn: () => T): T;
  failed(span: Span | undefined, error: unknown): void;
}

/** One gauge filled at scrape time; `combine` says how the readings of several instances add up. */
export interface OutboxGaugeSpec {
  name: string;
  help: string;
  labelNames?: string[];
  combine?: 'sum' | 'max';
}

/** Samples per gauge name, read at one scrape. */
export type OutboxGaugeReading = Record<string, Array<[labels: Record<string, string>, value: number]>>;

/** The host's metrics: counters and histograms by name, gauges read when the host is scraped. */
export interface OutboxMetricsPort {
  counter(name: string, help: string, labelNames?: string[]): Counter;
  histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram;
  /** Registers a source read at each scrape; returns its removal. */
  addScrapeSource(name: string, specs: readonly OutboxGaugeSpec[], read: () => Promise<OutboxGaugeReading>): () => void;
}

/** A provider that removes rows that outlived their use, a bounded batch at a time (ADR 0019). */
export interface OutboxPruner {
  readonly name: string;
  pruneBatch(limit: number): Promise<number>;
}

export interface OutboxPorts {
  context: OutboxContextPort;
  tracing: OutboxTracingPort;
  metrics: OutboxMetricsPort;
  /** What a log line may say about an error (never the values a query carried). */
  describeError(error: unknown): unknown;
  /**
   * The metadata key that marks the host's pruner providers (`@Pruner()`); the scheduler runs each
   * one found. Unset: only the outbox's own pruners run.
   */
  prunerMarker?: string | symbol;
}

export const OUTBOX_PORTS = Symbol('outbox:ports');

const ownContext = new AsyncLocalStorage<OutboxCorrelation>();

const tracingOff: OutboxTracingPort = {
  enabled: () => false,
  inSpan: (_name, _options, fn) => fn(undefined),
  startSpan: () => undefined,
  traceparentOf: () => undefined,
  contextFromTraceparent: () => ROOT_CONTEXT,
  withTraceparent: (_traceparent, fn) => fn(),
  failed: () => undefined,
};

/** The ports a host left unbound, filled with the outbox's own defaults. */
export function resolvePorts(ports: Partial<OutboxPorts> = {}): OutboxPorts {
  return {
    context: ports.context ?? {
      current: () => ownContext.getStore(),
      run: (context, fn) => ownContext.run(context, fn),
    },
    tracing: ports.tracing ?? tracingOff,
    metrics: ports.metrics ?? {
      counter: (name, help, labelNames = []) =>
        (register.getSingleMetric(name) as Counter | undefined) ?? new PromCounter({ name, help, labelNames }),
      histogram: (name, help, labelNames, buckets) =>
        (register.getSingleMetric(name) as Histogram | undefined) ??
        new PromHistogram({ name, help, labelNames, buckets }),
      addScrapeSource: () => () => undefined,
    },
    describeError:
      ports.describeError ??
      ((error) => (error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error })),
    prunerMarker: ports.prunerMarker,
  };
}
