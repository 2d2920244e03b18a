import request from 'supertest';
import { useTestApp } from '../support/scenario.js';

describe('health', () => {
  const t = useTestApp();

  it('is live', async () => {
    const res = await request(t.url).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('is ready when the database, the queue backend and migrations are', async () => {
    const res = await request(t.url).get('/health/ready');
    expect(res.status).toBe(200);
    // The queue check is named after what it probes: Redis, or BullMQ's schema in PostgreSQL.
    const queues = t.config.queueBackend === 'redis' ? 'redis' : 'queues';
    expect(res.body.details).toMatchObject({
      database: { status: 'up', connection: process.env.TEST_PGBOUNCER_URL === undefined ? 'direct' : 'pooled' },
      [queues]: { status: 'up' },
      migrations: { status: 'up' },
    });
    expect(Object.keys(res.body.details).sort()).toEqual(['database', 'migrations', queues].sort());
  });

  it('shows the Redis topology: standalone, or a Cluster with every slot covered (ADR 0040)', async () => {
    if (t.config.queueBackend !== 'redis') {
      expect((await request(t.url).get('/health/ready')).body.details.queues).toEqual(
        expect.not.objectContaining({ topology: expect.anything() }),
      );
      return;
    }
    const res = await request(t.url).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.details.redis).toMatchObject(
      process.env.TEST_REDIS_CLUSTER_NODES === undefined
        ? { status: 'up', topology: 'standalone' }
        : { status: 'up', topology: 'cluster', state: 'ok', slotsCovered: 16384, masters: 3 },
    );
  });
});
