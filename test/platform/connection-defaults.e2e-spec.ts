import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/index.js';
import { assertReadCommittedDefault } from '../../src/database/database.module.js';
import { databaseName } from '../../src/database/index.js';
import { typeOrmOptions } from '../../src/database/typeorm-options.js';
import { createProbeEffectTable, IdempotentProbeController } from '../support/idempotent-probe.controller.js';
import { outboxTestSetup } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';
import { isolate, type TestIsolation } from '../support/test-env.js';

/**
 * Keyed commands open their transaction without naming an isolation level (one round trip less):
 * they rely on every app connection starting with READ COMMITTED as its default. The database
 * here defaults to SERIALIZABLE, so only the app's own connection setting can make this pass.
 */
describe('app connections: READ COMMITTED whatever the database default', () => {
  let isolation: TestIsolation;

  beforeAll(async () => {
    isolation = await isolate();
    const admin = new pg.Client({ connectionString: isolation.databaseUrl });
    await admin.connect();
    try {
      await admin.query(
        `ALTER DATABASE "${databaseName(isolation.databaseUrl)}" SET default_transaction_isolation = 'serializable'`,
      );
    } finally {
      await admin.end();
    }
  });
  // The app runs in the database the hook above made; it closes before that database is dropped.
  const t = useTestApp(() => ({
    ...outboxTestSetup([]),
    controllers: [IdempotentProbeController],
    env: { APP_ROLES: 'api', DATABASE_URL: isolation.databaseUrl, RATE_LIMIT_PER_MINUTE: '100000' },
  }));
  beforeAll(() => createProbeEffectTable(t.app.get(DataSource)));
  afterAll(() => isolation?.dispose());

  it('a plain connection to this database defaults to SERIALIZABLE (the premise)', async () => {
    const plain = new pg.Client({ connectionString: isolation.databaseUrl });
    await plain.connect();
    try {
      const { rows } = await plain.query(`SHOW default_transaction_isolation`);
      expect(rows[0].default_transaction_isolation).toBe('serializable');
    } finally {
      await plain.end();
    }
  });

  it("runs a keyed command in READ COMMITTED, with the session's lock_timeout", async () => {
    const res = await request(t.url)
      .post('/probe/idempotent')
      .set('Authorization', `Bearer ${t.token({ sub: 'citizen-iso', roles: ['citizen'] })}`)
      .set('Idempotency-Key', `key-${randomUUID()}`)
      .send({ name: 'isolation' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ isolation: 'read committed', lockTimeout: '0' });
  });

  it('gives every pooled connection READ COMMITTED as its default', async () => {
    const dataSource = t.app.get(DataSource);
    const runners = await Promise.all(
      [0, 1, 2].map(async () => {
        const runner = dataSource.createQueryRunner();
        await runner.connect();
        return runner;
      }),
    );
    try {
      for (const runner of runners) {
        expect(await runner.query(`SHOW default_transaction_isolation`)).toEqual([
          { default_transaction_isolation: 'read committed' },
        ]);
      }
    } finally {
      await Promise.all(runners.map((runner) => runner.release()));
    }
  });

  it('refuses to start on connections that lost the READ COMMITTED default (a pooler dropping it)', async () => {
    const options = typeOrmOptions(loadConfig({ ...isolation.env }));
    const dropped = new DataSource({ ...options, extra: { ...options.extra, options: undefined } } as typeof options);
    await dropped.initialize();
    await expect(assertReadCommittedDefault(dropped)).rejects.toThrow(
      /default to "serializable" isolation, not "read committed"/,
    );
    expect(dropped.isInitialized).toBe(false);
    const kept = await new DataSource(options).initialize();
    try {
      await expect(assertReadCommittedDefault(kept)).resolves.toBeUndefined();
    } finally {
      await kept.destroy();
    }
  });
});
