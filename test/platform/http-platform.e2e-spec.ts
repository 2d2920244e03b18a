import request from 'supertest';
import { ProbeController } from '../support/probe.controller.js';
import { useTestApp } from '../support/scenario.js';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('HTTP platform: problem+json, validation, body limit, correlation', () => {
  const t = useTestApp({ controllers: [ProbeController], env: { HTTP_BODY_LIMIT: '1kb' } });

  it('accepts a valid body', async () => {
    const res = await request(t.url).post('/probe/echo').send({ name: 'a', amount: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'a', amount: 3 });
    // No conditional requests in the contract, so no body is hashed for an ETag.
    expect(res.headers.etag).toBeUndefined();
  });

  it('rejects unknown and read-only properties with a problem listing the fields', async () => {
    const res = await request(t.url).post('/probe/echo').send({ name: 'a', amount: 3, status: 'settled', id: 'x' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toMatchObject({ type: '/problems/validation-failed', title: 'Validation failed', status: 400 });
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['id', 'status']);
  });

  it('rejects wrong types and out-of-range values field by field', async () => {
    const res = await request(t.url).post('/probe/echo').send({ name: 7, amount: 0 });
    expect(res.status).toBe(400);
    const fields = new Set(res.body.errors.map((e: { field: string }) => e.field));
    expect(fields).toEqual(new Set(['name', 'amount']));
    for (const error of res.body.errors) expect(typeof error.message).toBe('string');
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await request(t.url).post('/probe/echo').set('content-type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.type).toBe('/problems/malformed-body');
  });

  it('answers a body over HTTP_BODY_LIMIT with 413 problem+json', async () => {
    const res = await request(t.url)
      .post('/probe/echo')
      .send({ name: 'x'.repeat(2048), amount: 1 });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
  });

  it('answers an unexpected error with a generic 500 that leaks no SQL, stack or class name', async () => {
    const res = await request(t.url).get('/probe/boom');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: '/problems/internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: expect.any(String),
    });
    expect(res.text).not.toMatch(/secret_table|SELECT|Error:|at /);
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await request(t.url).get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('echoes a valid X-Correlation-Id and replaces an invalid one', async () => {
    const echoed = await request(t.url).get('/health/live').set('X-Correlation-Id', 'abc-123_x.y');
    expect(echoed.headers['x-correlation-id']).toBe('abc-123_x.y');

    const replaced = await request(t.url).get('/health/live').set('X-Correlation-Id', 'bad id with spaces');
    expect(replaced.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);

    const generated = await request(t.url).get('/no/such/route');
    expect(generated.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(t.url).get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toContain('/health/ready');
  });
});
