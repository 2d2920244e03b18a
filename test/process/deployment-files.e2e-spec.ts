import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { APP_ROLES, loadConfig } from '../../src/config/index.js';
import { itWithTool } from '../support/suite-backends.js';
import { COMPOSE } from '../support/tools.js';

/** The project root: this file runs from `.test-build/test/process/`. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Variables `.env.example` lists for compose.yaml's own services, not for the app. */
const COMPOSE_ONLY = new Set(['POSTGRES_PASSWORD']);

/** Every variable `loadConfig` reads, in the order it reads them. */
function variablesTheConfigReads(): string[] {
  const seen: string[] = [];
  const env = new Proxy({ NODE_ENV: 'test' } as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === 'string' && !seen.includes(name)) seen.push(name);
      return target[name as string];
    },
  });
  loadConfig(env);
  return seen;
}

/** `NAME` → the value shown (`''` for none), from `NAME=value` and `# NAME=value` lines. */
function envExample(): Map<string, string> {
  const listed = new Map<string, string>();
  for (const line of read('.env.example').split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]*)=(\S*)/.exec(line);
    if (!match) continue;
    if (listed.has(match[1])) throw new Error(`.env.example lists ${match[1]} twice`);
    listed.set(match[1], match[2]);
  }
  return listed;
}

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { disable?: boolean; test?: string[] };
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
}

describe('deployment files: Dockerfile, compose.yaml and .env.example', () => {
  const known = variablesTheConfigReads();

  it('.env.example lists every variable the configuration reads, and nothing else', () => {
    const listed = [...envExample().keys()].filter((name) => !COMPOSE_ONLY.has(name));
    expect(known.length).toBeGreaterThan(50);
    expect(known.filter((name) => !listed.includes(name))).toEqual([]);
    expect(listed.filter((name) => !known.includes(name))).toEqual([]);
  });

  it('shows each default as the configuration has it: setting the shown value changes nothing', () => {
    // A valid production configuration, so production defaults (DB_CREATE, DOCS_ENABLED, ...) apply.
    const base = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'a-production-secret-of-32-characters!',
      GATEWAY_WEBHOOK_SECRET: 'a-webhook-secret-of-its-own',
      PAYMENT_GATEWAY: 'http',
      GATEWAY_URL: 'https://provider.example',
      GATEWAY_API_KEY: 'a-provider-key',
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: 'a-long-admin-password',
      METRICS_TOKEN: 'a-metrics-token',
    };
    const expected = loadConfig(base);
    const shown = [...envExample()].filter(([name, value]) => value !== '' && !(name in base));
    expect(shown.length).toBeGreaterThan(40);
    for (const [name, value] of shown) {
      expect({ name, config: loadConfig({ ...base, [name]: value }) }).toEqual({ name, config: expected });
    }
  });

  describe('compose.yaml', () => {
    // YAML 1.1: compose files share settings with merge keys (`<<: *app`).
    const compose = load(read('compose.yaml'), { schema: YAML11_SCHEMA }) as {
      services: Record<string, ComposeService>;
    };
    const services = compose.services;
    const apps = Object.entries(services).filter(([, s]) => s.environment?.APP_ROLES !== undefined);

    it('runs PostgreSQL 17 and Redis 7 with noeviction and AOF, and the app once healthy', () => {
      expect(services.postgres.image).toBe('postgres:17');
      expect(services.redis.image).toBe('redis:7');
      expect(services.redis.command).toEqual(
        expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']),
      );
      for (const [, service] of apps) {
        expect(service.depends_on).toEqual({
          postgres: { condition: 'service_healthy' },
          redis: { condition: 'service_healthy' },
        });
      }
    });

    it('splits every role over api, relay-worker and scheduler, each configured only with known variables', () => {
      expect(apps.map(([name, s]) => [name, s.environment?.APP_ROLES])).toEqual([
        ['api', 'api'],
        ['relay-worker', 'relay,worker'],
        ['scheduler', 'scheduler'],
      ]);
      const roles = apps.flatMap(([, s]) => s.environment!.APP_ROLES.split(','));
      expect([...roles].sort()).toEqual([...APP_ROLES].sort());
      for (const [name, service] of apps) {
        const unknown = Object.keys(service.environment!).filter((v) => !known.includes(v));
        expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
        // Only the api role serves HTTP, so only it has the image's /health/ready check.
        expect({ service: name, healthcheckOff: service.healthcheck?.disable === true }).toEqual({
          service: name,
          healthcheckOff: name !== 'api',
        });
        // SIGTERM drains for up to SHUTDOWN_TIMEOUT_MS (25 s): the stop must wait longer.
        expect(parseInt(service.stop_grace_period ?? '10', 10)).toBeGreaterThan(25);
      }
    });

    it('takes every substituted variable from .env.example', () => {
      const substituted = [...read('compose.yaml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]);
      const listed = envExample();
      expect([...new Set(substituted)].filter((name) => !listed.has(name))).toEqual([]);
    });

    // `docker compose config` checks the file against the Compose schema; it needs no daemon. CI
    // (.ci/run) installs Debian's docker-compose and requires it; elsewhere the test runs when a
    // compose CLI is installed and is reported as not run when it is not.
    itWithTool(import.meta.url, COMPOSE)('passes `docker compose config`, with and without the stub profile', () => {
      const cli = COMPOSE.command();
      if (cli === undefined) throw new Error(`no compose CLI: ${COMPOSE.install}`);
      const env = { ...process.env, ...Object.fromEntries([...envExample()].map(([k, v]) => [k, v || 'set'])) };
      for (const profile of [[], ['--profile', 'stub']]) {
        const out = execFileSync(cli[0], [...cli.slice(1), '-f', 'compose.yaml', ...profile, 'config'], {
          cwd: ROOT,
          env,
          encoding: 'utf8',
        });
        for (const service of ['postgres', 'redis', 'api', 'relay-worker', 'scheduler']) {
          expect(out).toContain(`  ${service}:`);
        }
        if (profile.length > 0) expect(out).toContain('  gateway-stub:');
      }
    });
  });

  it('Dockerfile: multi-stage, production dependencies only, not root, health-checked, pinned bases', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gm)];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const [, image] of stages) expect(image).not.toMatch(/:latest$|^[^:$]+$/);
    const runtime = dockerfile.slice(stages[stages.length - 1].index);
    expect(runtime).toMatch(/^USER\s+(?!root\b)\S+/m);
    expect(runtime).toMatch(/^HEALTHCHECK\b[\s\S]*\/health\/ready/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]/m);
    expect(runtime).not.toMatch(/^RUN npm (ci|install)(?![^\n]*--omit=dev)/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    // The build context leaves out what must not be baked in.
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', '.env', '.git']));
  });
});
