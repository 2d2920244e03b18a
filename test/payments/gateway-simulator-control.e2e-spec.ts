/**
 * `GET`/`PATCH /admin/gateway-simulator` (docs/adr/0037): served only when GATEWAY_SIM_CONTROL is on
 * (production refuses it: src/config/app-config.spec.ts), changes the faults of the simulator that
 * charges in this process, and refuses a process that charges nothing rather than pretend.
 */
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('gateway simulator control', () => {
  const admin = (t: TestApp) => `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;

  it('does not exist when GATEWAY_SIM_CONTROL=false, whatever the token', async () => {
    const t = await startTestApp({ env: { GATEWAY_SIM_CONTROL: 'false' } });
    try {
      const shown = await request(t.url).get('/admin/gateway-simulator').set('Authorization', admin(t));
      expect(shown.status).toBe(404);
      const changed = await request(t.url)
        .patch('/admin/gateway-simulator')
        .set('Authorization', admin(t))
        .send({ rejectRate: 1 });
      expect(changed.status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('changes only the faults named, for admins, and refuses a process without the worker role', async () => {
    const t = await startTestApp({ env: { GATEWAY_SIM_DECLINE_RATE: '0.5' } });
    try {
      const asCitizen = `Bearer ${t.token({ sub: 'c', roles: ['citizen'] })}`;
      expect((await request(t.url).get('/admin/gateway-simulator').set('Authorization', asCitizen)).status).toBe(403);
      const changed = await request(t.url)
        .patch('/admin/gateway-simulator')
        .set('Authorization', admin(t))
        .send({ rejectRate: 1 });
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual({
        charging: true,
        faults: { latencyMs: 0, declineRate: 0.5, timeoutAfterChargeRate: 0, errorRate: 0, rejectRate: 1 },
      });
      const invalid = await request(t.url)
        .patch('/admin/gateway-simulator')
        .set('Authorization', admin(t))
        .send({ rejectRate: 2 });
      expect(invalid.status).toBe(400);
      // The configuration it started from is untouched: only the running simulator changed.
      expect(t.config.gatewaySim.rejectRate).toBe(0);
    } finally {
      await t.close();
    }
    const api = await startTestApp({ env: { APP_ROLES: 'api,relay' } });
    try {
      const refused = await request(api.url)
        .patch('/admin/gateway-simulator')
        .set('Authorization', admin(api))
        .send({ rejectRate: 1 });
      expect(refused.status).toBe(409);
      expect(refused.body.type).toMatch(/simulator-not-charging-here/);
      const shown = await request(api.url).get('/admin/gateway-simulator').set('Authorization', admin(api));
      expect(shown.body).toMatchObject({ charging: false, faults: { rejectRate: 0 } });
    } finally {
      await api.close();
    }
  });
});
