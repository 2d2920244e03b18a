import { createHmac } from 'node:crypto';
import request from 'supertest';
import { ProbeController } from '../support/probe.controller.js';
import { useTestApp } from '../support/scenario.js';

function base64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Hand-made tokens, to send what the app itself would never sign. */
function handMadeToken(header: object, claims: object, secret: string | null): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`;
  const signature = secret === null ? '' : createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

describe('authentication and roles', () => {
  const t = useTestApp({
    controllers: [ProbeController],
    env: { AUTH_JWT_ISSUER: 'https://idp.example', AUTH_JWT_AUDIENCE: 'debts-hub', AUTH_JWT_MAX_LIFETIME_S: '3600' },
  });
  const now = () => Math.floor(Date.now() / 1000);

  async function expect401(authorization?: string) {
    const req = request(t.url).get('/probe/me');
    const res = await (authorization === undefined ? req : req.set('Authorization', authorization));
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/unauthenticated', status: 401 });
    return res;
  }

  it('accepts a valid token and exposes the principal', async () => {
    const res = await request(t.url)
      .get('/probe/me')
      .set('Authorization', `Bearer ${t.token({ sub: 'citizen-1', roles: ['citizen'] })}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'citizen-1', roles: ['citizen'] });
  });

  it('refuses a missing token', () => expect401());
  it('refuses a malformed Authorization header', () => expect401('Token abc'));
  it('refuses a token that is not a JWT', () => expect401('Bearer not-a-jwt'));

  it('refuses an expired token', async () => {
    const token = handMadeToken(
      { alg: 'HS256', typ: 'JWT' },
      { sub: 'c', roles: ['citizen'], exp: now() - 10 },
      t.config.authJwtSecret,
    );
    const res = await expect401(`Bearer ${token}`);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('refuses a token signed with another secret', () =>
    expect401(
      `Bearer ${handMadeToken({ alg: 'HS256' }, { sub: 'c', roles: ['citizen'], exp: now() + 60 }, 'another-secret-another-secret-123')}`,
    ));

  it('refuses alg: none', () =>
    expect401(
      `Bearer ${handMadeToken({ alg: 'none', typ: 'JWT' }, { sub: 'c', roles: ['admin'], exp: now() + 60 }, null)}`,
    ));

  it('refuses a token without exp', () =>
    expect401(`Bearer ${handMadeToken({ alg: 'HS256' }, { sub: 'c', roles: ['citizen'] }, t.config.authJwtSecret)}`));

  it('refuses a token with unknown roles', () =>
    expect401(
      `Bearer ${handMadeToken({ alg: 'HS256' }, { sub: 'c', roles: ['root'], exp: now() + 60 }, t.config.authJwtSecret)}`,
    ));

  it('answers 403 problem+json when the role is wrong', async () => {
    const res = await request(t.url)
      .get('/probe/admin')
      .set('Authorization', `Bearer ${t.token({ sub: 'citizen-1', roles: ['citizen'] })}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
  });

  it('lets the right role through', async () => {
    const res = await request(t.url)
      .get('/probe/admin')
      .set('Authorization', `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`);
    expect(res.status).toBe(200);
  });

  describe('issuer, audience, issue time and lifetime', () => {
    const valid = () => ({
      sub: 'c',
      roles: ['citizen'],
      iss: 'https://idp.example',
      aud: 'debts-hub',
      iat: now(),
      exp: now() + 600,
    });
    const signed = (claims: object) => `Bearer ${handMadeToken({ alg: 'HS256' }, claims, t.config.authJwtSecret)}`;

    it('accepts a token with the configured iss and aud, a past iat and a lifetime within the limit', async () => {
      const res = await request(t.url).get('/probe/me').set('Authorization', signed(valid()));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: 'c', roles: ['citizen'] });
    });

    it('refuses a wrong or missing issuer', async () => {
      await expect401(signed({ ...valid(), iss: 'https://evil.example' }));
      await expect401(signed({ ...valid(), iss: undefined }));
    });

    it('refuses a wrong or missing audience', async () => {
      await expect401(signed({ ...valid(), aud: 'another-app' }));
      await expect401(signed({ ...valid(), aud: undefined }));
    });

    it('refuses a token issued more than 60 s in the future', async () => {
      const res = await expect401(signed({ ...valid(), iat: now() + 120, exp: now() + 600 }));
      expect(res.body.detail).toMatch(/future/);
    });

    it('refuses a lifetime longer than AUTH_JWT_MAX_LIFETIME_S, with or without iat', async () => {
      const res = await expect401(signed({ ...valid(), iat: now() - 60, exp: now() - 60 + 3601 }));
      expect(res.body.detail).toMatch(/lifetime/);
      await expect401(signed({ ...valid(), iat: undefined, exp: now() + 7200 }));
    });
  });
});
