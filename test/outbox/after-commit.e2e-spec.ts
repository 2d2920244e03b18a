import { DataSource } from 'typeorm';
import { AfterCommitTransactionRequiredError, afterCommit } from '../../src/outbox/index.js';
import { createEffectTable, outboxTestSetup } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

describe('afterCommit', () => {
  const t = useTestApp({ ...outboxTestSetup(), env: { APP_ROLES: 'api' } });
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    await createEffectTable(dataSource);
  });

  const insertEffect = (tx: { query: DataSource['query'] }, eventId: string) =>
    tx.query(
      `INSERT INTO test_effect (subscriber, event_id, aggregate_id, seq, n) VALUES ('after-commit', $1, 'a', 1, 1)`,
      [eventId],
    );
  const committedRows = async (eventId: string) =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM test_effect WHERE event_id = $1`, [eventId]))[0].n;

  it('runs once the outermost transaction has committed, and sees its writes committed', async () => {
    const eventId = '0190a1b2-0000-7000-8000-000000000001';
    const seen: string[] = [];
    const visible: Array<Promise<number>> = [];
    await dataSource.transaction(async (tx) => {
      await insertEffect(tx, eventId);
      afterCommit(tx, () => {
        seen.push('after commit');
        visible.push(committedRows(eventId));
      });
      // A nested transaction is a savepoint: its release is not the commit.
      await tx.transaction(async (inner) => {
        afterCommit(inner, () => seen.push('after commit (registered in a savepoint)'));
      });
      seen.push('end of transaction body');
    });
    expect(seen).toEqual(['end of transaction body', 'after commit', 'after commit (registered in a savepoint)']);
    expect(await Promise.all(visible)).toEqual([1]);
  });

  it('never runs for a transaction that rolls back, nor later for the next one on the same runner', async () => {
    const runner = dataSource.createQueryRunner();
    const seen: string[] = [];
    try {
      await runner.startTransaction();
      afterCommit(runner, () => seen.push('rolled back'));
      await runner.rollbackTransaction();
      await runner.startTransaction();
      afterCommit(runner.manager, () => seen.push('committed'));
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(seen).toEqual(['committed']);

    await expect(
      dataSource.transaction(async (tx) => {
        afterCommit(tx, () => seen.push('failed'));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(seen).toEqual(['committed']);
  });

  it('throws outside a transaction', () => {
    expect(() => afterCommit(dataSource.manager, () => undefined)).toThrow(AfterCommitTransactionRequiredError);
    const runner = dataSource.createQueryRunner();
    expect(() => afterCommit(runner, () => undefined)).toThrow(AfterCommitTransactionRequiredError);
  });
});
