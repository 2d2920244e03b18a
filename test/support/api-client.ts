import request from 'supertest';
import type { TestApp } from './test-app.js';

/** Thin helpers to drive the REST API as a frontend would. */
export function api(t: TestApp) {
  const as = (sub: string, roles: Parameters<TestApp['token']>[0]['roles']) => `Bearer ${t.token({ sub, roles })}`;
  const service = as('issuer', ['service']);
  const admin = as('ops', ['admin']);
  return {
    as,
    service,
    admin,
    registerDebt: (body: Record<string, unknown>, auth = service) =>
      request(t.url).post('/v1/debts').set('Authorization', auth).send(body),
    getDebt: (id: string, auth: string) => request(t.url).get(`/v1/debts/${id}`).set('Authorization', auth),
    listDebts: (citizenId: string, auth: string, query = '') =>
      request(t.url).get(`/v1/citizens/${citizenId}/debts${query}`).set('Authorization', auth),
    apply: (body: Record<string, unknown>, auth: string) =>
      request(t.url).post('/v1/licences/applications').set('Authorization', auth).send(body),
    getApplication: (id: string, auth: string) =>
      request(t.url).get(`/v1/licences/applications/${id}`).set('Authorization', auth),
  };
}

let counter = 0;
/** A unique issuer reference per call. */
export function reference(prefix = 'REF'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`;
}
