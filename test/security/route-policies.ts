import type { Role } from '../../src/platform/index.js';

/**
 * Who may call a route. Every route the app serves has exactly one policy here; the route-table
 * test (route-table.e2e-spec.ts) fails on a served route without one, and checks each by HTTP.
 */
export type Access =
  /** Anyone; `why` says what protects it instead of a token. */
  | { kind: 'public'; why: string }
  /** Anyone may post, but only a valid `X-Gateway-Signature` has an effect (400 otherwise). */
  | { kind: 'signature'; why: string }
  /** Bearer `METRICS_TOKEN` (not a JWT). */
  | { kind: 'metrics-token' }
  /** A bearer JWT with one of `roles` (401 without a token, 403 with other roles). */
  | { kind: 'roles'; roles: readonly Role[]; basic?: boolean };

export interface RoutePolicy {
  access: Access;
  /** How the route treats another principal's object (OWASP API1, BOLA); absent when it names none. */
  owner?: string;
  /** `json`: the route reads a JSON body, validated strictly; `none`: it reads no body. */
  body: 'json' | 'none';
}

const ADMIN: readonly Role[] = ['admin'];
const docs = { kind: 'public', why: 'API documentation; off in production unless DOCS_ENABLED=true' } as const;
const probe = { kind: 'public', why: 'probes for the orchestrator; no data' } as const;

/** The route table: `METHOD path` as Express reports it. */
export const ROUTE_POLICIES: Record<string, RoutePolicy> = {
  'POST /v1/debts': { access: { kind: 'roles', roles: ['service', 'admin'] }, body: 'json' },
  'GET /v1/debts/:id': {
    access: { kind: 'roles', roles: ['citizen', 'service', 'admin'] },
    owner: "a citizen sees only their own debts; another's is 404",
    body: 'none',
  },
  'GET /v1/citizens/:citizenId/debts': {
    access: { kind: 'roles', roles: ['citizen', 'service', 'admin'] },
    owner: "a citizen lists only their own debts; another's list is 404",
    body: 'none',
  },
  'POST /v1/payments': {
    access: { kind: 'roles', roles: ['citizen', 'customer', 'admin'] },
    owner: "a citizen pays only their own debt, a customer only their own order; another's is 404",
    body: 'json',
  },
  'GET /v1/payments/:id': {
    access: { kind: 'roles', roles: ['citizen', 'customer', 'admin'] },
    owner: "the payer's own payments only; another's is 404",
    body: 'none',
  },
  'POST /v1/payments/gateway-webhook': {
    access: { kind: 'signature', why: 'HMAC-SHA256 over timestamp and raw body, 300 s tolerance, replay by event id' },
    body: 'json',
  },
  'POST /v1/licences/applications': {
    access: { kind: 'roles', roles: ['citizen', 'admin'] },
    owner: 'a citizen applies only for themselves; for another citizen is 404',
    body: 'json',
  },
  'GET /v1/licences/applications/:id': {
    access: { kind: 'roles', roles: ['citizen', 'admin'] },
    owner: "a citizen sees only their own applications; another's is 404",
    body: 'none',
  },
  'GET /v1/citizens/:citizenId/licences/applications': {
    access: { kind: 'roles', roles: ['citizen', 'admin'] },
    owner: "a citizen lists only their own applications; another's list is 404",
    body: 'none',
  },
  'PUT /v1/catalog/skus/:sku': { access: { kind: 'roles', roles: ADMIN }, body: 'json' },
  'PUT /v1/inventory/locations/:locationId': { access: { kind: 'roles', roles: ADMIN }, body: 'json' },
  'PUT /v1/inventory/locations/:locationId/stock/:sku': { access: { kind: 'roles', roles: ADMIN }, body: 'json' },
  'GET /v1/inventory/skus/:sku': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'POST /v1/inventory/telemetry': { access: { kind: 'roles', roles: ['service'] }, body: 'json' },
  'POST /v1/orders': {
    access: { kind: 'roles', roles: ['customer', 'admin'] },
    owner: 'a customer orders only for themselves; for another customer is 404',
    body: 'json',
  },
  'GET /v1/orders/:id': {
    access: { kind: 'roles', roles: ['customer', 'admin'] },
    owner: "a customer sees only their own orders; another's is 404",
    body: 'none',
  },
  'GET /v1/customers/:customerId/balance': {
    access: { kind: 'roles', roles: ['customer', 'admin'] },
    owner: "a customer sees only their own balance; another's is 404",
    body: 'none',
  },
  'GET /admin/outbox': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/messages': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/messages/:eventId': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/dead-letters': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'POST /admin/dead-letters/replay': { access: { kind: 'roles', roles: ADMIN }, body: 'json' },
  'POST /admin/dead-letters/:id/replay': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/dead-letters/replays': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/reconciliation/runs': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/reconciliation/findings': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'POST /admin/reconciliation/findings/:id/resolve': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'POST /admin/reconciliation/:name/run': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/projections': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'GET /admin/projections/:name': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'POST /admin/projections/:name/rebuild': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  // Development and test only (GATEWAY_SIM_CONTROL; production refuses it, so it is never served there).
  'GET /admin/gateway-simulator': { access: { kind: 'roles', roles: ADMIN }, body: 'none' },
  'PATCH /admin/gateway-simulator': { access: { kind: 'roles', roles: ADMIN }, body: 'json' },
  'GET /metrics': { access: { kind: 'metrics-token' }, body: 'none' },
  'GET /health/live': { access: probe, body: 'none' },
  'GET /health/ready': { access: probe, body: 'none' },
  'GET /docs': { access: docs, body: 'none' },
  'GET /docs/': { access: docs, body: 'none' },
  'GET /docs/index.html': { access: docs, body: 'none' },
  'GET /docs/LICENSE': { access: docs, body: 'none' },
  'GET /docs/swagger-ui-init.js': { access: docs, body: 'none' },
  'GET /docs/docs/swagger-ui-init.js': { access: docs, body: 'none' },
  'GET /docs-json': { access: docs, body: 'none' },
  'GET /docs-yaml': { access: docs, body: 'none' },
  // Express mounts: a static folder and a whole sub-application, each under one policy.
  'MOUNT /docs': { access: docs, body: 'none' },
  'MOUNT /admin/queues': { access: { kind: 'roles', roles: ADMIN, basic: true }, body: 'json' },
};

function describeAccess(access: Access): string {
  switch (access.kind) {
    case 'public':
      return `public: ${access.why}`;
    case 'signature':
      return `public, signed: ${access.why}`;
    case 'metrics-token':
      return 'bearer `METRICS_TOKEN` (required in production unless `METRICS_PUBLIC=true`)';
    case 'roles':
      return `${access.roles.join(', ')}${access.basic ? ' (or HTTP Basic admin)' : ''}`;
  }
}

/** The policy table as it appears in docs/security.md, between its route-policy markers. */
export function renderRoutePolicyTable(): string {
  const rows = Object.entries(ROUTE_POLICIES).map(
    ([route, policy]) =>
      `| \`${route}\` | ${describeAccess(policy.access)} | ${policy.owner ?? '—'} | ${policy.body === 'json' ? 'JSON, strict' : '—'} |`,
  );
  return ["| route | who may call | another principal's object | body |", '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}
