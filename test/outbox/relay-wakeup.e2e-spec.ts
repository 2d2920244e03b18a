import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
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
import { startTestApp, type TestApp } from '../support/test-app.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('relay wake-up after commit', () => {
  describe('in a process that runs the relay', () => {
    let t: TestApp;
    let dataSource: DataSource;

    beforeAll(async () => {
      // Polling is pushed out of the way: only the after-commit wake-up can deliver in time.
      t = await startTestApp({
        ...outboxTestSetup([recorderSubscription]),
        env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '600000' },
      });
      dataSource = t.app.get(DataSource);
      await createEffectTable(dataSource);
    });
    afterAll(() => t.close());

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
        await settle();
        expect(listener.received).toEqual([]);
      } finally {
        await listener.close();
      }
    });
  });

  describe('in a process without a relay', () => {
    let t: TestApp;
    let dataSource: DataSource;
    let writer: OutboxWriter;

    beforeAll(async () => {
      t = await startTestApp({ ...outboxTestSetup(), env: { APP_ROLES: 'api' } });
      dataSource = t.app.get(DataSource);
      writer = t.app.get(OutboxWriter);
    });
    afterAll(() => t.close());

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
        await settle();
        expect(listener.received).toEqual([]);

        // An append inside a nested transaction (a savepoint): the savepoint's release is not the commit.
        const runner = dataSource.createQueryRunner();
        try {
          await runner.startTransaction();
          await runner.startTransaction();
          await writer.append(runner, event(2));
          await runner.commitTransaction();
          await settle();
          expect(listener.received).toEqual([]);
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
        await eventually(() => expect(listener.received).toEqual(['outbox_message']));
        await settle();
        expect(listener.received).toHaveLength(1);
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
        await settle();
        expect(listener.received.length).toBeLessThanOrEqual(20);
      } finally {
        await listener.close();
      }
    });
  });
});
