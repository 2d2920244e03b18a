import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../../src/outbox/index.js';
import { eventually } from '../../support/eventually.js';
import {
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingHappened,
} from '../../support/outbox-fixtures.js';
import { useTestApp } from '../../support/scenario.js';
import { pace } from '../../support/pace.js';

const RECORDER = recorderSubscription.name;
// Each writer holds a connection of its own: with the app's pools (two on the PostgreSQL queue
// backend) and a suite beside it, more writers meet PostgreSQL's default max_connections of 100.
const WRITERS = 24;
const REVERSED = 12; // writers 0..11 commit in the opposite order of their ids
const EVENTS_PER_WRITER = 5;
const MAX_HOLD_MS = 500;
const rollsBack = (i: number) => i % 9 === 8; // a few writers roll back: their events must never be delivered

interface WriterOutcome {
  writer: number;
  ids: string[];
  committed: boolean;
  /** Database clock just before COMMIT was sent: the commit happened after this. */
  beforeCommit?: Date;
}

describe('chaos: the visibility gap (sequence order is not commit order)', () => {
  let dataSource: DataSource;
  let writersSource: DataSource;

  beforeAll(() => faults.recorder.reset());
  // Declared before the app: hooks run in order, so the writers' pool is released before it closes.
  afterAll(async () => {
    faults.recorder.reset();
    if (writersSource?.isInitialized) await writersSource.destroy();
  });
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    // All roles; the relay polls often and claims small batches, so it claims while writers are open.
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '20', OUTBOX_RELAY_BATCH_SIZE: '7' },
  });
  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    await createEffectTable(dataSource);
    // The writers hold their transactions open at the same time: give them a pool of their own so
    // they neither starve nor are starved by the app's pools.
    writersSource = new DataSource({ type: 'postgres', url: t.isolation.databaseUrl, extra: { max: WRITERS + 2 } });
    await writersSource.initialize();
  });

  it(`delivers every committed event of ${WRITERS} overlapping writers exactly once, skipping none`, async () => {
    const writer = t.app.get(OutboxWriter);

    // Writers 0..REVERSED-1 append one after the other (ascending ids) and commit in the reverse
    // order, each waiting for the next one's commit; the others start and hold for random times.
    const deferred = () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    };
    const appendedOf = Array.from({ length: REVERSED }, deferred);
    const finishedOf = Array.from({ length: REVERSED }, deferred);
    const random = (max: number) => Math.floor(Math.random() * (max + 1));

    const write = async (i: number): Promise<WriterOutcome> => {
      const reversed = i < REVERSED;
      if (reversed && i > 0) await appendedOf[i - 1].promise;
      else if (!reversed) await pace(random(100)); // chaos: writers start at random times
      const runner = writersSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        const envelopes = await writer.append(
          runner,
          Array.from({ length: EVENTS_PER_WRITER }, (_, k) => ({
            contract: ThingHappened,
            aggregateId: `writer-${i}`,
            payload: { key: `w${i}-${k}`, n: i * EVENTS_PER_WRITER + k },
          })),
        );
        const ids = envelopes.map((e) => e.id);
        if (reversed) {
          appendedOf[i].resolve();
          if (i < REVERSED - 1) await finishedOf[i + 1].promise;
          await pace(10 + random(10)); // chaos: each reversed writer commits a moment after the next
        } else {
          await pace(random(MAX_HOLD_MS)); // chaos: holds its transaction open a random while
        }
        if (rollsBack(i)) {
          await runner.rollbackTransaction();
          return { writer: i, ids, committed: false };
        }
        const [{ now }] = await runner.query(`SELECT clock_timestamp() AS now`);
        await runner.commitTransaction();
        return { writer: i, ids, committed: true, beforeCommit: now as Date };
      } finally {
        if (reversed) {
          appendedOf[i].resolve(); // never leave the chain hanging if this writer failed
          finishedOf[i].resolve();
        }
        await runner.release();
      }
    };

    const outcomes = await Promise.all(Array.from({ length: WRITERS }, (_, i) => write(i)));
    const committed = outcomes.filter((o) => o.committed);
    const committedIds = committed.flatMap((o) => o.ids);
    const rolledBackIds = outcomes.filter((o) => !o.committed).flatMap((o) => o.ids);
    const expected = committedIds.length;
    const rollingBack = Array.from({ length: WRITERS }, (_, i) => i).filter(rollsBack).length;
    expect(committed.length).toBeGreaterThanOrEqual(WRITERS - rollingBack - 2);
    expect(rolledBackIds.length).toBeGreaterThan(0);

    await eventually(
      async () => {
        const [{ n }] = await dataSource.query(
          `SELECT count(*)::int AS n FROM outbox_delivery WHERE state = 'handled' AND event_id = ANY($1::uuid[])`,
          [committedIds],
        );
        expect(n).toBe(expected);
      },
      { timeoutMs: 20_000 },
    );

    // Exactly once in effect, for exactly the committed events.
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: expected, distinct: expected });
    const effected: Array<{ event_id: string }> = await dataSource.query(`SELECT event_id FROM test_effect`);
    expect(effected.map((r) => r.event_id).sort()).toEqual([...committedIds].sort());
    const [{ n: left }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
    expect(left).toBe(0);
    const states = await dataSource.query(`SELECT state, count(*)::int AS n FROM outbox_delivery GROUP BY state`);
    expect(states).toEqual([{ state: 'handled', n: expected }]);
    const [{ n: phantom }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_event WHERE id = ANY($1::uuid[])`,
      [rolledBackIds],
    );
    expect(phantom).toBe(0);

    // The gap really happened: some event was claimed by a relay while an event with a smaller id
    // was still uncommitted. A relay reading `id > last_seen` would have skipped that one for good.
    const relayedAt = new Map<string, Date>(
      (
        (await dataSource.query(`SELECT id, relayed_at FROM outbox_event`)) as Array<{ id: string; relayed_at: Date }>
      ).map((r) => [r.id, r.relayed_at]),
    );
    let overtaken = 0;
    for (const earlier of committed) {
      const smallestId = [...earlier.ids].sort()[0];
      const overtook = committedIds.some((id) => id > smallestId && relayedAt.get(id)! < earlier.beforeCommit!);
      if (overtook) overtaken += 1;
    }
    process.stdout.write(
      `[visibility-gap] ${expected} events committed; ${overtaken} writers overtaken by a later id\n`,
    );
    expect(overtaken).toBeGreaterThan(0);

    // The first group really committed in the opposite order of their ids.
    const reversed = committed.filter((o) => o.writer < REVERSED);
    for (let k = 1; k < reversed.length; k++) {
      expect(reversed[k].ids[0] > reversed[k - 1].ids[0]).toBe(true);
      expect(reversed[k].beforeCommit!.getTime()).toBeLessThan(reversed[k - 1].beforeCommit!.getTime());
    }
  });
});
