import { Controller, Injectable, Param, Post } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource, type EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, OutboxWriter, subscribe } from '../../src/outbox/index.js';
import { Public, startTracing, stopTracing, tracingEnabled } from '../../src/platform/index.js';
import { eventually } from '../support/eventually.js';
import { ThingHappened, ThingObserved, type ThingPayload, withAppCatalogue } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/** Handles a thing by appending the observation it causes. */
const causeSubscription = subscribe(ThingHappened, {
  name: 'testing.trace-cause',
  module: 'testing',
  lane: 'critical',
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
});

/** Handles the caused observation (so the trace shows its delivery too). */
const effectSubscription = subscribe(ThingObserved, {
  name: 'testing.trace-effect',
  module: 'testing',
  lane: 'default',
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
});

@Injectable()
@HandlesEvents(causeSubscription)
class CauseHandler implements EventHandler<ThingPayload> {
  constructor(private readonly writer: OutboxWriter) {}

  async handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    await this.writer.append(tx, { contract: ThingObserved, aggregateId: event.aggregateId, payload: event.payload });
  }
}

@Injectable()
@HandlesEvents(effectSubscription)
class EffectHandler implements EventHandler<ThingPayload> {
  async handle(): Promise<void> {}
}

/** A command route: appends a thing in the request's transaction. */
@Controller('trace-probe')
class TraceProbeController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: OutboxWriter,
  ) {}

  @Public()
  @Post(':key')
  async append(@Param('key') key: string): Promise<{ eventId: string }> {
    const [envelope] = await this.dataSource.transaction((tx) =>
      this.writer.append(tx, { contract: ThingHappened, aggregateId: key, payload: { key, n: 1 } }),
    );
    return { eventId: envelope.id };
  }
}

const setup = {
  catalogue: withAppCatalogue([ThingHappened, ThingObserved], [causeSubscription, effectSubscription]),
  providers: [CauseHandler, EffectHandler],
  controllers: [TraceProbeController],
  env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50' },
};

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('tracing across the outbox hop (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();

  // Tracing starts before the app and stops after it has closed: hooks run in declaration order.
  beforeAll(() => startTracing({ exporter, immediate: true }));
  const t = useTestApp(setup);
  afterAll(() => stopTracing());

  const spans = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const one = (list: ReadableSpan[], name: string) => {
    const found = list.filter((s) => s.name === name);
    expect([name, found.length]).toEqual([name, 1]);
    return found[0];
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('one trace runs from the request through append, relay and handler to the event it caused, and on', async () => {
    const res = await request(t.url)
      .post('/trace-probe/traced-1')
      .set('traceparent', `00-${TRACE_ID}-${CALLER_SPAN}-01`);
    expect(res.status).toBe(201);
    const { eventId } = res.body as { eventId: string };

    const trace = await eventually(() => {
      const list = spans(TRACE_ID);
      expect(list.map((s) => s.name)).toContain('outbox handle testing.trace-effect');
      return list;
    });

    const http = one(trace, 'POST /trace-probe/:key');
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(parentOf(http)).toBe(CALLER_SPAN);
    const append = one(trace, 'outbox append testing.thing-happened');
    expect(parentOf(append)).toBe(http.spanContext().spanId);
    expect(append.attributes['outbox.event_ids']).toEqual([eventId]);
    const relay = one(trace, 'outbox relay testing.thing-happened');
    expect(parentOf(relay)).toBe(append.spanContext().spanId);
    expect(relay.attributes['messaging.message.id']).toBe(eventId);
    const handle = one(trace, 'outbox handle testing.trace-cause');
    expect(handle.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(handle)).toBe(relay.spanContext().spanId);
    expect(handle.attributes['outbox.outcome']).toBe('handled');
    const caused = one(trace, 'outbox append testing.thing-observed');
    expect(parentOf(caused)).toBe(handle.spanContext().spanId);
    const causedRelay = one(trace, 'outbox relay testing.thing-observed');
    expect(parentOf(causedRelay)).toBe(caused.spanContext().spanId);
    expect(parentOf(one(trace, 'outbox handle testing.trace-effect'))).toBe(causedRelay.spanContext().spanId);

    // The stored events carry the trace context: the request's event and the one its handler caused.
    const rows: Array<{ id: string; causation_id: string | null; traceparent: string }> = await t.app
      .get(DataSource)
      .query(`SELECT id, causation_id, traceparent FROM outbox_event WHERE id = $1::uuid OR causation_id = $1::text`, [
        eventId,
      ]);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it('starts a new trace for a request without a traceparent', async () => {
    const before = new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId));
    expect((await request(t.url).post('/trace-probe/traced-2')).status).toBe(201);
    const http = await eventually(() => {
      const found = exporter
        .getFinishedSpans()
        .find((s) => s.name === 'POST /trace-probe/:key' && !before.has(s.spanContext().traceId));
      expect(found).toBeDefined();
      return found!;
    });
    expect(http.parentSpanContext).toBeUndefined();
    await eventually(() =>
      expect(spans(http.spanContext().traceId).map((s) => s.name)).toContain('outbox handle testing.trace-cause'),
    );
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  const t = useTestApp(setup);

  it('starts no SDK, stores no trace context and adds nothing to envelopes', async () => {
    expect(tracingEnabled()).toBe(false);
    const res = await request(t.url)
      .post('/trace-probe/untraced')
      .set('traceparent', `00-${TRACE_ID}-${CALLER_SPAN}-01`);
    expect(res.status).toBe(201);
    const { eventId } = res.body as { eventId: string };
    const rows = await eventually(async () => {
      const found: Array<{ traceparent: string | null }> = await t.app
        .get(DataSource)
        .query(`SELECT traceparent FROM outbox_event WHERE id = $1::uuid OR causation_id = $1::text`, [eventId]);
      expect(found).toHaveLength(2);
      return found;
    });
    expect(rows).toEqual([{ traceparent: null }, { traceparent: null }]);
    const journey = await request(t.url)
      .get(`/admin/messages/${eventId}`)
      .set('Authorization', `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`);
    expect(journey.status).toBe(200);
    expect(journey.body.envelope).not.toHaveProperty('traceparent');
  });
});

describe('OTLP export to OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let receiver: Server;
  const received: Array<{ path: string; body: string }> = [];

  beforeAll(async () => {
    // A tiny OTLP/HTTP receiver: records what the exporter posts.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    startTracing({ serviceName: 'debts-hub-test', immediate: true });
  });
  const t = useTestApp(setup);
  afterAll(async () => {
    await stopTracing();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('posts the spans of a flow to <endpoint>/v1/traces', async () => {
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const res = await request(t.url)
      .post('/trace-probe/exported')
      .set('traceparent', `00-${traceId}-${CALLER_SPAN}-01`);
    expect(res.status).toBe(201);
    await eventually(() => {
      const bodies = received.filter((r) => r.path === '/v1/traces').map((r) => r.body);
      const mine = bodies.filter((body) => body.includes(traceId));
      expect(mine.join('\n')).toContain('outbox handle testing.trace-cause');
      expect(mine.join('\n')).toContain('debts-hub-test');
    });
  });
});
