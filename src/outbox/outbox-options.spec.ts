import { OutboxOptionsError, resolveOutboxOptions } from './outbox-options.js';

const DATABASE = 'postgres://postgres@127.0.0.1:5432/outbox';

describe('resolveOutboxOptions', () => {
  it('fills every default from the database alone', () => {
    const options = resolveOutboxOptions({ databaseUrl: DATABASE });
    expect([...options.roles]).toEqual(['api', 'relay', 'worker', 'scheduler']);
    expect(options).toMatchObject({
      queueBackend: 'redis',
      queuePrefix: 'outbox',
      dbPreparedStatements: true,
      relayBatchSize: 500,
      sweepAfterMs: 15_000,
      laneConcurrency: { critical: 16, default: 16, bulk: 2 },
      pruning: { intervalMs: 3_600_000, batchSize: 1000 },
    });
  });

  it('keeps what the host gives, merging nested options with their defaults', () => {
    const options = resolveOutboxOptions({
      databaseUrl: DATABASE,
      roles: ['worker'],
      queueBackend: 'postgres',
      laneConcurrency: { bulk: 4 },
      pruning: { batchSize: 10 },
    });
    expect([...options.roles]).toEqual(['worker']);
    expect(options.queueBackend).toBe('postgres');
    expect(options.laneConcurrency).toEqual({ critical: 16, default: 16, bulk: 4 });
    expect(options.pruning).toEqual({ intervalMs: 3_600_000, batchSize: 10 });
  });

  it('reports every problem at once', () => {
    let thrown: unknown;
    try {
      resolveOutboxOptions({
        databaseUrl: 'mysql://nope',
        relayBatchSize: 0,
        jobLockMs: 1.5,
        laneConcurrency: { critical: 5000 },
        queuePrefix: 'a:b',
        roles: ['api', 'janitor' as never],
        databaseDirectUrl: 'mysql://nope',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OutboxOptionsError);
    expect((thrown as OutboxOptionsError).problems).toEqual([
      'relayBatchSize must be an integer from 1 to 10000, got 0',
      'jobLockMs must be an integer from 1000 to 600000, got 1.5',
      'laneConcurrency.critical must be an integer from 1 to 1000, got 5000',
      'roles: "janitor" is not one of api, relay, worker, scheduler',
      'queuePrefix must be 1 to 64 letters, digits, "-" or "_" (no ":"), got "a:b"',
      'databaseUrl must be a postgres:// URL',
      'databaseDirectUrl is the same as databaseUrl: set it only when databaseUrl is a pooler',
    ]);
  });

  it('asks for a direct session when prepared statements are off', () => {
    expect(() => resolveOutboxOptions({ databaseUrl: DATABASE, dbPreparedStatements: false })).toThrow(
      'dbPreparedStatements=false is for a transaction pooler: set databaseDirectUrl too',
    );
  });
});
