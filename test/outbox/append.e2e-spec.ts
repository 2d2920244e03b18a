import { DataSource } from 'typeorm';
import { LaneQueues, Relay } from '../../src/outbox/testing.js';
import {
  OutboxTransactionRequiredError,
  OutboxWriter,
  InvalidEventPayloadError,
  defineEvent,
} from '../../src/outbox/index.js';
import { runWithCorrelation } from '../../src/platform/index.js';
import { consistently, eventually } from '../support/eventually.js';
import { listenForOutboxNotifies } from '../support/notify-listener.js';
import {
  appendThings,
  createEffectTable,
  outboxTestSetup,
  ThingHappened,
  ThingPayload,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

describe('outbox append', () => {
  // No relay, no workers: what is appended stays in the outbox for inspection.
  const t = useTestApp({ ...outboxTestSetup(), env: { APP_ROLES: 'api' } });
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await createEffectTable(dataSource);
  });
  beforeEach(() => dataSource.query('TRUNCATE outbox_message, outbox_aggregate_seq'));

  const count = async (table: string) => Number((await dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('throws outside a transaction, with an EntityManager or a QueryRunner alike', async () => {
    const event = { contract: ThingHappened, aggregateId: 'a', payload: { key: 'k', n: 1 } };
    await expect(writer.append(dataSource.manager, event)).rejects.toBeInstanceOf(OutboxTransactionRequiredError);
    const runner = dataSource.createQueryRunner();
    try {
      await expect(writer.append(runner, event)).rejects.toBeInstanceOf(OutboxTransactionRequiredError);
    } finally {
      await runner.release();
    }
    expect(await count('outbox_message')).toBe(0);
  });

  it("writes envelopes with the caller's transaction: a rollback leaves no row and, later, no job", async () => {
    await expect(
      dataSource.transaction(async (tx) => {
        await writer.append(tx, { contract: ThingHappened, aggregateId: 'a', payload: { key: 'k', n: 1 } });
        expect(Number((await tx.query(`SELECT count(*) AS n FROM outbox_message`))[0].n)).toBe(1);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await count('outbox_message')).toBe(0);
    expect(await t.app.get(Relay).relayBatch()).toBe(0);
    const queues = t.app.get(LaneQueues).all();
    const jobs = await Promise.all(
      queues.map((q) => q.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed')),
    );
    expect(jobs.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('validates payloads against the catalogue before writing', async () => {
    await expect(
      dataSource.transaction((tx) =>
        writer.append(tx, {
          contract: ThingHappened,
          aggregateId: 'a',
          payload: { key: 'k', n: -1, extra: true } as unknown as ThingPayload,
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidEventPayloadError);
    expect(await count('outbox_message')).toBe(0);
  });

  it('refuses events missing from the catalogue', async () => {
    const Unregistered = defineEvent({
      type: 'testing.never-registered',
      version: 1,
      owner: 'testing',
      aggregateType: 'x',
      description: '',
      payload: ThingPayload,
    });
    await expect(
      dataSource.transaction((tx) =>
        writer.append(tx, { contract: Unregistered, aggregateId: 'a', payload: { key: 'k', n: 1 } }),
      ),
    ).rejects.toThrow(/not registered in the catalogue/);
  });

  it('fills the envelope: uuid v7 id, version, aggregate, correlation and causation from the context', async () => {
    const [envelope] = await runWithCorrelation({ correlationId: 'corr-1', causationId: 'cause-1' }, () =>
      appendThings(dataSource, writer, 1, { aggregateId: 'agg-env' }),
    );
    expect(envelope).toMatchObject({
      type: 'testing.thing-happened',
      version: 1,
      aggregateType: 'thing',
      aggregateId: 'agg-env',
      aggregateSeq: 1,
      correlationId: 'corr-1',
      causationId: 'cause-1',
      payload: { key: 'k0', n: 0 },
    });
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [row] = await dataSource.query(`SELECT * FROM outbox_message WHERE id = $1`, [envelope.id]);
    expect(row).toMatchObject({ correlation_id: 'corr-1', causation_id: 'cause-1', aggregate_seq: '1' });
  });

  it('numbers each aggregate 1..n without gaps or repeats under concurrent writers', async () => {
    const writers = 20;
    await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        appendThings(dataSource, writer, 3, { aggregateId: 'hot', startN: i * 3 }),
      ),
    );
    const rows: Array<{ aggregate_seq: string }> = await dataSource.query(
      `SELECT aggregate_seq FROM outbox_message WHERE aggregate_id = 'hot' ORDER BY aggregate_seq`,
    );
    expect(rows.map((r) => Number(r.aggregate_seq))).toEqual(Array.from({ length: writers * 3 }, (_, i) => i + 1));
  });

  it('numbers one aggregate without gaps when one-event and many-event appends race (two statements)', async () => {
    // Even writers append one event at a time (APPEND_ONE), odd ones two at a time (APPEND).
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendThings(dataSource, writer, i % 2 === 0 ? 1 : 2, { aggregateId: 'mixed', startN: i * 2 }),
      ),
    );
    const rows: Array<{ aggregate_seq: string }> = await dataSource.query(
      `SELECT aggregate_seq FROM outbox_message WHERE aggregate_id = 'mixed' ORDER BY aggregate_seq`,
    );
    expect(rows.map((r) => Number(r.aggregate_seq))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const [{ last_seq }] = await dataSource.query(
      `SELECT last_seq FROM outbox_aggregate_seq WHERE aggregate_type = 'thing' AND aggregate_id = 'mixed'`,
    );
    expect(Number(last_seq)).toBe(30);
  });

  it('sends one NOTIFY per transaction however many appends it makes', async () => {
    const listener = await listenForOutboxNotifies(t.isolation.databaseUrl);
    const { received } = listener;
    try {
      await dataSource.transaction(async (tx) => {
        for (let i = 0; i < 5; i++)
          await writer.append(tx, { contract: ThingHappened, aggregateId: `n${i}`, payload: { key: 'k', n: i } });
      });
      await appendThings(dataSource, writer, 2);
      await eventually(() => expect(received).toHaveLength(2));
      await consistently(() => expect(received).toEqual(['outbox_message', 'outbox_message']), { within: 200 });
    } finally {
      await listener.close();
    }
  });
});
