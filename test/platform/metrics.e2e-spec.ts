import request from 'supertest';
import { useTestApp } from '../support/scenario.js';

describe('/metrics', () => {
  const t = useTestApp({ env: { METRICS_TOKEN: 'scrape-token' } });

  it('requires the metrics token when one is set', async () => {
    expect((await request(t.url).get('/metrics')).status).toBe(401);
    expect((await request(t.url).get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
  });

  it('serves Prometheus text with process and outbox metrics', async () => {
    const res = await request(t.url).get('/metrics').set('Authorization', 'Bearer scrape-token');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^# HELP process_cpu_user_seconds_total/m);
    expect(res.text).toMatch(/^# TYPE outbox_relay_batch_duration_seconds histogram/m);
    expect(res.text).toMatch(/^# TYPE outbox_duplicates_skipped_total counter/m);
  });
});
