import request from 'supertest';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';
import { pace } from '../support/pace.js';

/**
 * Connections PostgreSQL ends under load (pg_terminate_backend, a restart, a failover) must fail
 * the units of work that held them, never the process: pg-pool listens for errors on idle
 * connections only, and an `error` event nobody listens to ends a Node process. Without the app's
 * listener (database.module.ts) this run raised about ten uncaught errors.
 */
describe('PostgreSQL connections terminated under load', () => {
  let admin: DataSource;
  // The origin says whether a listener-less 'error' event or an unhandled promise rejection raised it.
  const uncaught: string[] = [];
  const record = (error: Error, origin: string) => uncaught.push(`${origin}: ${error.stack ?? String(error)}`);

  // Declared before the app: hooks run in order, so the admin connection is released before it closes.
  afterAll(async () => {
    process.removeListener('uncaughtException', record);
    await admin?.destroy();
  });
  const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  beforeAll(async () => {
    admin = await new DataSource({ type: 'postgres', url: t.isolation.databaseUrl }).initialize();
    process.prependListener('uncaughtException', record);
  });

  const registerDebt = (i: number) =>
    request(t.url)
      .post('/v1/debts')
      .set('Authorization', `Bearer ${t.token({ sub: 'issuer', roles: ['service'] })}`)
      .send({
        citizenId: `citizen-${i % 20}`,
        reference: `loss-${i}-${Date.now()}`,
        kind: 'fine',
        amount: 100,
        currency: 'SAR',
      });

  it('fails only the requests that held a lost connection; nothing is raised uncaught and the app serves on', async () => {
    const load = Promise.all(Array.from({ length: 300 }, (_, i) => registerDebt(i).then((r) => r.status)));
    for (let round = 0; round < 5; round++) {
      await pace(150); // the fault schedule, not a wait for an effect
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
    }
    const statuses = await load;
    expect(statuses.filter((s) => s !== 201 && s !== 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);

    await eventually(async () => expect((await request(t.url).get('/health/ready')).status).toBe(200));
    expect((await registerDebt(1_000)).status).toBe(201);
    expect(uncaught).toEqual([]);
  });
});
