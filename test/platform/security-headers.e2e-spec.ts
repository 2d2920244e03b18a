import request from 'supertest';
import { ProbeController } from '../support/probe.controller.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { useTestApp } from '../support/scenario.js';

const PROBLEM_JSON = /^application\/problem\+json/;

/** The CSP directives of a response, by name. */
function csp(headers: Record<string, string>): Map<string, string> {
  const value = headers['content-security-policy'];
  expect(value).toBeDefined();
  return new Map(
    value.split(';').map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name, sources.join(' ')];
    }),
  );
}

function expectSecurityHeaders(headers: Record<string, string>): void {
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['x-powered-by']).toBeUndefined();
  expect(csp(headers).get('frame-ancestors')).toBe("'none'");
}

function expectApiCsp(headers: Record<string, string>): void {
  const directives = csp(headers);
  expect(directives.get('default-src')).toBe("'none'");
  expect(directives.has('script-src')).toBe(false);
}

describe('security headers and the API docs switch', () => {
  describe('with the docs on (the test default)', () => {
    const t = useTestApp({
      controllers: [ProbeController],
      env: { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'board-password-123' },
    });

    it('puts them, with the strict API CSP, on a successful API response', async () => {
      const res = await request(t.url).get('/health/live');
      expect(res.status).toBe(200);
      expectSecurityHeaders(res.headers);
      expectApiCsp(res.headers);
    });

    it('puts them on a 404', async () => {
      const res = await request(t.url).get('/no/such/route');
      expect(res.status).toBe(404);
      expectSecurityHeaders(res.headers);
      expectApiCsp(res.headers);
    });

    it('puts them on problem responses: 401, validation 400 and malformed JSON', async () => {
      const unauthenticated = await request(t.url).get('/probe/me');
      expect(unauthenticated.status).toBe(401);
      expectSecurityHeaders(unauthenticated.headers);
      expectApiCsp(unauthenticated.headers);

      const invalid = await request(t.url).post('/probe/echo').send({ name: 7, amount: 0 });
      expect(invalid.status).toBe(400);
      expect(invalid.headers['content-type']).toMatch(PROBLEM_JSON);
      expectSecurityHeaders(invalid.headers);

      const malformed = await request(t.url).post('/probe/echo').set('Content-Type', 'application/json').send('{"a":');
      expect(malformed.status).toBe(400);
      expectSecurityHeaders(malformed.headers);
    });

    it('refuses form and text bodies with 415 before any handler, and still takes JSON', async () => {
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', 'name=a&amount=3'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--x--\r\n'],
        ['text/plain', '{"name":"a","amount":3}'],
      ]) {
        const res = await request(t.url).post('/probe/echo').set('Content-Type', type).send(body);
        expect({ type, status: res.status }).toEqual({ type, status: 415 });
        expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
        expect(res.body).toMatchObject({ type: '/problems/unsupported-media-type', status: 415 });
      }
      const json = await request(t.url).post('/probe/echo').send({ name: 'a', amount: 3 });
      expect(json.status).toBe(201);
    });

    it('gives Swagger UI a CSP that lets its own scripts and inline styles run, and nothing else', async () => {
      const page = await request(t.url).get('/docs');
      expect(page.status).toBe(200);
      expect(page.text).toContain('swagger-ui-bundle.js');
      expectSecurityHeaders(page.headers);
      const directives = csp(page.headers);
      expect(directives.get('script-src')).toBe("'self'");
      expect(directives.get('style-src')).toBe("'self' 'unsafe-inline'");
      expect(directives.get('img-src')).toBe("'self' data:");
      expect(directives.has('upgrade-insecure-requests')).toBe(false);

      const document = await request(t.url).get('/docs-json');
      expect(document.status).toBe(200);
      expect(document.body.openapi).toMatch(/^3\./);
      expectApiCsp(document.headers);
    });

    it('gives Bull Board the same UI CSP and denies framing it', async () => {
      const page = await request(t.url).get('/admin/queues').auth('ops', 'board-password-123');
      expect(page.status).toBe(200);
      expectSecurityHeaders(page.headers);
      expect(csp(page.headers).get('script-src')).toBe("'self'");
      const refused = await request(t.url).get('/admin/queues');
      expect(refused.status).toBe(401);
      expectSecurityHeaders(refused.headers);
    });
  });

  describe('in production', () => {
    let t: TestApp | undefined;
    // Every secret production may require, so the app starts and only DOCS_ENABLED is under test.
    const production = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'production-jwt-secret-for-tests-0123456789',
      GATEWAY_WEBHOOK_SECRET: 'production-webhook-secret-for-tests',
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: 'production-admin-password',
      METRICS_TOKEN: 'production-metrics-token-for-tests',
      PAYMENT_GATEWAY: 'http',
      GATEWAY_URL: 'http://127.0.0.1:9',
      GATEWAY_API_KEY: 'production-gateway-key-for-tests',
    };

    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('serves no /docs or /docs-json unless DOCS_ENABLED=true', async () => {
      const app = (t = await startTestApp({ env: production }));
      expect(app.config.docsEnabled).toBe(false);
      for (const path of ['/docs', '/docs/', '/docs-json']) {
        const res = await request(app.url).get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expectSecurityHeaders(res.headers);
      }
    });

    it('serves them when DOCS_ENABLED=true', async () => {
      const app = (t = await startTestApp({ env: { ...production, DOCS_ENABLED: 'true' } }));
      expect((await request(app.url).get('/docs')).status).toBe(200);
      expect((await request(app.url).get('/docs-json')).status).toBe(200);
    });
  });
});
