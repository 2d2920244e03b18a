import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { consistently, eventually } from '../support/eventually.js';
import { listenForOutboxNotifies } from '../support/notify-listener.js';
import {
  appendThings,
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingHappened,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/** How long a NOTIFY that should not come is given to show up. */
const QUIET_MS = 300;

describe('relay wake-up after commit', () => {
  describe('in a process that runs the relay', () => {
    // Polling is pushed out of the way: only the after-commit wake-up can deliver in time.
    const t = useTestApp({
      ...outboxTestSetup([recorderSubscription]),
      env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '600000' },
    });
    let dataSource: DataSource;

    beforeAll(async () => {
      dataSource = t.app.get(DataSource);
      await createEffectTable(dataSource);
    });

    it('wakes its own relay after each appending commit, without a NOTIFY', async () => {
      faults.recorder.reset();
      const listener = await listenForOutboxNotifies(t.isolation.databaseUrl);
      try {
        for (let round = 1; round <= 3; round += 1) {
          await appendThings(dataSource, t.app.get(OutboxWriter), 5, {
            aggregateId: `wake-${round}`,
            startN: round * 5,
          });
          await eventually(
            async () => expect((await effectCounts(dataSource, recorderSubscription.name)).rows).toBe(round * 5),
            {
              timeoutMs: 5000,
            },
          );
        }
        await consistently(() => expect(listener.received).toEqual([]), { within: QUIET_MS });
      } finally {
        await listener.close();
      }
    });
  });

  describe('in a process without a relay', () => {
    const t = useTestApp({ ...outboxTestSetup(), env: { APP_ROLES: 'api' } });
    let dataSource: DataSource;
    let writer: OutboxWriter;

    beforeAll(async () => {
      dataSource = t.app.get(DataSource);
      writer = t.app.get(OutboxWriter);
    });

    it('notifies once after the outermost commit, and never for a rolled-back append', async () => {
      const listener = await listenForOutboxNotifies(t.isolation.databaseUrl);
      const event = (n: number) => ({ contract: ThingHappened, aggregateId: 'nested', payload: { key: 'k', n } });
      try {
        await expect(
          dataSource.transaction(async (tx) => {
            await writer.append(tx, event(1));
            throw new Error('business rule broken');
          }),
        ).rejects.toThrow('business rule broken');
        await consistently(() => expect(listener.received).toEqual([]), { within: QUIET_MS });

        // An append inside a nested transaction (a savepoint): the savepoint's release is not the commit.
        const runner = dataSource.createQueryRunner();
        try {
          await runner.startTransaction();
          await runner.startTransaction();
          await writer.append(runner, event(2));
          await runner.commitTransaction();
          await consistently(() => expect(listener.received).toEqual([]), { within: QUIET_MS });
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
        await eventually(() => expect(listener.received).toEqual(['outbox_message']));
        await consistently(() => expect(listener.received).toHaveLength(1), { within: QUIET_MS });
      } finally {
        await listener.close();
      }
    });

    it('sends at most one NOTIFY per appending transaction when many commit at once', async () => {
      const listener = await listenForOutboxNotifies(t.isolation.databaseUrl);
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => appendThings(dataSource, writer, 1, { aggregateId: `many-${i}` })),
        );
        await eventually(() => expect(listener.received.length).toBeGreaterThan(0));
        await consistently(() => expect(listener.received.length).toBeLessThanOrEqual(20), { within: QUIET_MS });
      } finally {
        await listener.close();
      }
    });
  });
});
