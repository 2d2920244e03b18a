import { SpanKind, type Span } from '@opentelemetry/api';
import type { DeliveryToEnqueue } from '../delivery/lane-queues.js';
import type { OutboxTracingPort } from '../ports.js';

/** The relay spans of one batch; the batch ends (or fails) them once its jobs are enqueued and marked. */
export interface RelaySpans {
  end(): void;
  failed(error: unknown): void;
}

/**
 * One `outbox relay` span per claimed event, a child of the span that appended it (its stored
 * `traceparent`), and each delivery job's envelope re-pointed at that span: the handler's span is
 * then its child, and one trace runs from the request through the outbox hop
 * (docs/adr/0034-tracing-across-the-outbox-hop.md). Undefined, and nothing done, with tracing off.
 */
export function startRelaySpans(
  tracing: OutboxTracingPort,
  deliveries: readonly DeliveryToEnqueue[],
): RelaySpans | undefined {
  if (!tracing.enabled()) return undefined;
  const byEvent = new Map<string, { span: Span; traceparent: string | undefined }>();
  for (const delivery of deliveries) {
    const { envelope } = delivery;
    let relayed = byEvent.get(envelope.id);
    if (!relayed) {
      const span = tracing.startSpan(`outbox relay ${envelope.type}`, {
        kind: SpanKind.PRODUCER,
        parent: tracing.contextFromTraceparent(envelope.traceparent),
        attributes: { 'messaging.system': 'outbox', 'messaging.message.id': envelope.id },
      })!;
      relayed = { span, traceparent: tracing.traceparentOf(span) };
      byEvent.set(envelope.id, relayed);
    }
    if (relayed.traceparent !== undefined) envelope.traceparent = relayed.traceparent;
  }
  const spans = [...byEvent.values()].map((r) => r.span);
  return {
    end: () => spans.forEach((span) => span.end()),
    failed: (error) => spans.forEach((span) => tracing.failed(span, error)),
  };
}
