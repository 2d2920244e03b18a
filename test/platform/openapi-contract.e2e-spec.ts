/**
 * The OpenAPI document (`/docs-json`) is what frontends generate clients from, so it must say what
 * API.md says: the same routes, the statuses API.md names for each, a schema for every success
 * answer and `application/problem+json` for every error (API.md, "Errors"). API.md is read from
 * `../shared/API.md` (beside the repository, in CI too) and its route tables are parsed, so a route
 * or status that drifts on either side fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import request from 'supertest';
import { useTestApp } from '../support/scenario.js';

const API_MD = join(process.cwd(), '..', 'shared', 'API.md');
/** The sections of API.md whose tables are this app's REST routes (the gateway protocol is the provider's). */
const ROUTE_SECTIONS = ['Debts', 'Payments', 'Licences', 'Fulfilment', 'Admin'];
/** Bull Board is an Express sub-application, not a Nest route: it has no operations in the document. */
const NOT_NEST_ROUTES = new Set(['GET /admin/queues']);
/**
 * Admin routes the document has beyond API.md's table: operator tools that complete the ones API.md
 * lists (the audit of bulk replays, closing a finding, the projection list) and the payment
 * simulator's fault switch, served in development and test only.
 */
const ADMIN_BEYOND_API_MD = new Set([
  'GET /admin/dead-letters/replays',
  'POST /admin/reconciliation/findings/{}/resolve',
  'GET /admin/projections',
  'GET /admin/gateway-simulator',
  'PATCH /admin/gateway-simulator',
]);
/**
 * `/v1` routes API.md does not list yet. Every entry is a gap in the contract to close in API.md,
 * not a permission: the customer balance read from the ledger's projections.
 */
const V1_MISSING_FROM_API_MD = new Set(['GET /v1/customers/{}/balance']);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const STATUS_IN_TEXT = /\b(200|201|202|204|400|401|403|404|409|413|415|422|429)\b/g;
const ROUTE_IN_TEXT = /`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)(?:\?([^`]*))?`/g;

interface ContractRoute {
  /** `METHOD path` with placeholders as `{}`. */
  key: string;
  /** Statuses API.md names for the route (in its own row). */
  statuses: number[];
  /** Query parameters API.md names for the route (`?correlationId=`, `?subscriber=&type=`). */
  query: string[];
  /** Request headers its row requires (`header \`Idempotency-Key\``). */
  headers: string[];
}

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, { content?: Record<string, { schema?: SchemaLike }> }>;
  requestBody?: { content?: Record<string, { schema?: SchemaLike }> };
  security?: unknown[];
}
interface SchemaLike {
  $ref?: string;
  type?: string;
  properties?: Record<string, unknown>;
  items?: SchemaLike;
  allOf?: SchemaLike[];
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, SchemaLike> };
}

const normalise = (path: string) => path.replace(/\{[^}]*\}/g, '{}');

/**
 * The routes in API.md's route tables. A row's first cell names one or more routes (joined by
 * "and" or ","); the statuses in the row are theirs. A route mentioned only in the result cell
 * (`GET /admin/projections/{name}` shows progress) is a route too, without the row's statuses.
 */
function contractRoutes(markdown: string): ContractRoute[] {
  const routes = new Map<string, ContractRoute>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^## (\S+)/.exec(line);
    if (heading) section = heading[1];
    if (!ROUTE_SECTIONS.includes(section) || !line.startsWith('| `')) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    const statuses = [...cells.slice(1).join('|').matchAll(STATUS_IN_TEXT)].map((m) => Number(m[1]));
    const headers = [
      ...cells
        .slice(1)
        .join('|')
        .matchAll(/header `([A-Za-z-]+)/g),
    ].map((m) => m[1]);
    cells.forEach((cell, index) => {
      for (const [, method, path, queryString] of cell.matchAll(ROUTE_IN_TEXT)) {
        const key = `${method} ${normalise(path)}`;
        if (NOT_NEST_ROUTES.has(key)) continue;
        const own = index === 0 ? [...new Set(statuses)] : [];
        const query = [...new URLSearchParams(queryString ?? '').keys()];
        const known = routes.get(key);
        routes.set(key, {
          key,
          statuses: [...new Set([...(known?.statuses ?? []), ...own])],
          query: [...new Set([...(known?.query ?? []), ...query])],
          headers: index === 0 ? headers : (known?.headers ?? []),
        });
      }
    });
  }
  return [...routes.values()];
}

describe('OpenAPI document agrees with API.md', () => {
  const t = useTestApp();
  let doc: OpenApiDocument;
  let contract: ContractRoute[];
  /** Every operation of the document under /v1 and /admin, by normalised `METHOD path`. */
  let operations: Map<string, Operation>;

  beforeAll(async () => {
    contract = contractRoutes(readFileSync(API_MD, 'utf8'));
    const res = await request(t.url).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
    operations = new Map();
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!/^\/(v1|admin)\//.test(path)) continue;
      for (const method of METHODS) {
        const operation = item[method];
        if (operation) operations.set(`${method.toUpperCase()} ${normalise(path)}`, operation);
      }
    }
  });

  it('reads the route tables of API.md', () => {
    // A parser that found nothing would make every other check pass.
    expect(contract.length).toBeGreaterThanOrEqual(27);
    expect(contract).toContainEqual({ key: 'POST /v1/debts', statuses: [201, 200, 409], query: [], headers: [] });
    // "300 s away" is a duration, not a status.
    expect(contract).toContainEqual({
      key: 'POST /v1/payments/gateway-webhook',
      statuses: [200, 400],
      query: [],
      headers: ['X-Gateway-Signature'],
    });
    // Two routes in one cell, joined by "and" or ","; a query string is not part of the path.
    expect(contract).toContainEqual({
      key: 'POST /admin/dead-letters/replay',
      statuses: [202],
      query: [],
      headers: [],
    });
    expect(contract).toContainEqual({
      key: 'POST /admin/dead-letters/{}/replay',
      statuses: [202],
      query: [],
      headers: [],
    });
    // A query string names the route's query parameters.
    expect(contract).toContainEqual({
      key: 'GET /admin/messages',
      statuses: [],
      query: ['correlationId'],
      headers: [],
    });
    expect(contract).toContainEqual(expect.objectContaining({ key: 'POST /v1/orders', headers: ['Idempotency-Key'] }));
    expect(contract).toContainEqual(
      expect.objectContaining({ key: 'GET /admin/dead-letters', query: ['subscriber', 'type', 'error'] }),
    );
    expect(contract.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'GET /admin/messages',
        'GET /admin/messages/{}',
        'GET /admin/reconciliation/runs',
        'GET /admin/reconciliation/findings',
        'GET /admin/projections/{}',
      ]),
    );
    expect(contract.map((r) => r.key)).not.toContain('GET /admin/queues');
  });

  it('has every API.md route', () => {
    const missing = contract.map((r) => r.key).filter((key) => !operations.has(key));
    expect(missing).toEqual([]);
  });

  it('has no /v1 route API.md does not list, and only the listed extra /admin routes', () => {
    const listed = new Set(contract.map((r) => r.key));
    const extra = [...operations.keys()].filter((key) => !listed.has(key));
    // Exact lists: an allowance for a route no longer served, or now in API.md, fails too.
    expect(extra.filter((key) => / \/v1\//.test(key)).sort()).toEqual([...V1_MISSING_FROM_API_MD].sort());
    expect(extra.filter((key) => / \/admin\//.test(key)).sort()).toEqual([...ADMIN_BEYOND_API_MD].sort());
  });

  it('declares every query parameter and required header API.md names for a route', () => {
    const undeclared = contract.flatMap(({ key, query, headers }) => {
      const parameters = operations.get(key)?.parameters ?? [];
      const named = (where: string) => parameters.filter((p) => p.in === where).map((p) => p.name);
      return [
        ...query.filter((name) => !named('query').includes(name)).map((name) => `${key} ?${name}`),
        ...headers.filter((name) => !named('header').includes(name)).map((name) => `${key} header ${name}`),
      ];
    });
    expect(undeclared).toEqual([]);
  });

  it('declares every status API.md names for a route', () => {
    const undeclared = contract.flatMap(({ key, statuses }) => {
      const declared = Object.keys(operations.get(key)?.responses ?? {});
      return statuses.filter((s) => !declared.includes(String(s))).map((s) => `${key} → ${s}`);
    });
    expect(undeclared).toEqual([]);
  });

  it('gives every operation a success answer with a JSON schema', () => {
    const without = [...operations].flatMap(([key, operation]) => {
      const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (successes.length === 0) return [`${key}: no success response`];
      return successes
        .filter(([, response]) => !hasSchema(response.content?.['application/json']?.schema))
        .map(([status]) => `${key} → ${status}: no application/json schema`);
    });
    expect(without).toEqual([]);
  });

  it('declares every error as application/problem+json with the ProblemDetails schema', () => {
    const wrong = [...operations].flatMap(([key, operation]) =>
      Object.entries(operation.responses)
        .filter(([status]) => /^4\d\d$/.test(status))
        .filter(
          ([, response]) =>
            Object.keys(response.content ?? {}).join() !== 'application/problem+json' ||
            response.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/ProblemDetails',
        )
        .map(([status]) => `${key} → ${status}`),
    );
    expect(wrong).toEqual([]);
    expect(doc.components.schemas.ProblemDetails.properties).toEqual(
      expect.objectContaining({ type: expect.anything(), title: expect.anything(), status: expect.anything() }),
    );
  });

  it('declares the conventions: 401, 403 and 429 with a token; 400, 413 and 415 with a body', () => {
    const missing = [...operations].flatMap(([key, operation]) => {
      const declared = Object.keys(operation.responses);
      const expected = [
        ...((operation.security ?? []).length > 0 ? ['401', '403', '429'] : ['429']),
        ...(operation.requestBody ? ['400', '413', '415'] : []),
      ];
      return expected.filter((s) => !declared.includes(s)).map((s) => `${key} → ${s}`);
    });
    expect(missing).toEqual([]);
  });

  it('describes every request body by a schema with every field its DTO validates', () => {
    const bodies = [...operations].filter(([, operation]) => operation.requestBody);
    expect(bodies.length).toBeGreaterThan(10);
    const bare = bodies
      .filter(([, operation]) => !hasSchema(operation.requestBody?.content?.['application/json']?.schema))
      .map(([key]) => key);
    expect(bare).toEqual([]);

    // Without the CLI plugin, a field has a schema only when it has @ApiProperty: compare with
    // the fields class-validator checks, in the body's class and the classes it nests.
    const undocumented: string[] = [];
    const seen = new Set<string>();
    const visit = (schema: SchemaLike | undefined): void => {
      if (!schema) return;
      if (schema.items) visit(schema.items);
      for (const part of schema.allOf ?? []) visit(part);
      if (!schema.$ref) return;
      const name = schema.$ref.replace('#/components/schemas/', '');
      if (seen.has(name)) return;
      seen.add(name);
      const target = doc.components.schemas[name];
      const documented = new Set(Object.keys(target?.properties ?? {}));
      for (const field of validatedFields(name)) if (!documented.has(field)) undocumented.push(`${name}.${field}`);
      for (const property of Object.values(target?.properties ?? {})) visit(property as SchemaLike);
    };
    for (const [, operation] of bodies) visit(operation.requestBody?.content?.['application/json']?.schema);
    expect(seen.size).toBeGreaterThan(10);
    expect(undocumented).toEqual([]);
  });

  /** The fields class-validator checks on the DTO class named `name` (and its parents). */
  function validatedFields(name: string): string[] {
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<{ readonly name: string }, unknown>;
      getTargetValidationMetadatas(
        target: { readonly name: string },
        schema: string,
        always: boolean,
        strictGroups: boolean,
      ): Array<{ propertyName: string }>;
    };
    const targets = [...storage.validationMetadatas.keys()].filter((target) => target.name === name);
    expect(targets.length).toBeLessThanOrEqual(1);
    if (targets.length === 0) return [];
    return [...new Set(storage.getTargetValidationMetadatas(targets[0], '', true, false).map((m) => m.propertyName))];
  }

  /** Whether `schema` describes something: a reference to a schema with properties, or an inline one. */
  function hasSchema(schema: SchemaLike | undefined): boolean {
    if (!schema) return false;
    if (schema.$ref) {
      const target = doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
      return target !== undefined && Object.keys(target.properties ?? {}).length > 0;
    }
    if (schema.allOf) return schema.allOf.every(hasSchema);
    if (schema.type === 'array') return hasSchema(schema.items);
    return schema.type !== undefined;
  }
});
