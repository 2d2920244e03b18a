import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Proves the dependency-cruiser rules in .dependency-cruiser.cjs bite: each scenario writes a small tree shaped
 * like this repository (`src/modules/<m>/...`) into a scratch directory outside the repo, adds one deliberate
 * violation, and runs the real depcruise binary with the real config from there. The rule paths are relative to
 * the working directory, so the scratch tree is matched exactly like the real one; its `node_modules` is a link to
 * the repo's, so package imports resolve as they do in the repo.
 */

const repo = process.cwd();
const depcruiseBin = join(repo, 'node_modules', '.bin', 'depcruise');
const config = join(repo, '.dependency-cruiser.cjs');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

interface Violation {
  rule: string;
  from: string;
  to: string;
}

function depcruise(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      depcruiseBin,
      [...args, '--config', config],
      { cwd, encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error); // spawn failure or timeout
        resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Parses the `err` reporter: `  error <rule>: <from> → <to>` (a cycle continues `→` over following lines). */
function violations(stdout: string): Violation[] {
  const found: Violation[] = [];
  const pattern = /^\s*error ([\w-]+): (\S+) →\s+(\S+)/gm;
  for (const m of stdout.matchAll(pattern)) found.push({ rule: m[1]!, from: m[2]!, to: m[3]! });
  return found;
}

/** A legal miniature of the repository; every scenario starts from it. */
const legalTree: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'boundaries-fixture', private: true, type: 'module' }),
  'src/app.module.ts': [
    "import { Module } from '@nestjs/common';",
    "import { AlphaModule } from './modules/alpha/index.js';",
    "import { BetaModule } from './modules/beta/index.js';",
    '@Module({ imports: [AlphaModule, BetaModule] })',
    'export class AppModule {}',
  ].join('\n'),
  'src/outbox/relay.ts': [
    "import { Queue } from 'bullmq';",
    "import { Redis } from 'ioredis';",
    'export const relay = (redis: Redis) => new Queue("outbox", { connection: redis });',
  ].join('\n'),
  'src/platform/redis-health.ts': [
    "import type { Redis } from 'ioredis';",
    'export const ping = (redis: Redis) => redis.ping();',
  ].join('\n'),
  'src/modules/beta/index.ts': [
    "export { BetaModule } from './beta.module.js';",
    "export type { Beta } from './domain/beta.entity.js';",
  ].join('\n'),
  'src/modules/beta/beta.module.ts': [
    "import { Module } from '@nestjs/common';",
    '@Module({})',
    'export class BetaModule {}',
  ].join('\n'),
  'src/modules/beta/domain/beta.entity.ts': 'export class Beta {\n  constructor(readonly id: string) {}\n}',
  // The events-only entry (ADR 0014): contracts using their own domain's constants, importable on their own.
  'src/modules/beta/events/index.ts': "export { BetaHappened } from './beta-happened.v1.js';",
  'src/modules/beta/events/beta-happened.v1.ts': [
    "import { Beta } from '../domain/beta.entity.js';",
    "export const BetaHappened = { type: 'beta.happened', example: new Beta('b-1') };",
  ].join('\n'),
  'src/modules/alpha/listeners/on-beta-happened.ts': [
    "import { BetaHappened } from '../../beta/events/index.js';",
    'export const subscribedTo = BetaHappened.type;',
  ].join('\n'),
  'src/modules/alpha/index.ts': "export { AlphaModule } from './alpha.module.js';",
  'src/modules/alpha/alpha.module.ts': [
    "import { Module } from '@nestjs/common';",
    "import { BetaModule, type Beta } from '../beta/index.js';",
    "import { Alpha } from './domain/alpha.entity.js';",
    "import { AlphaRecord } from './persistence/alpha.record.js';",
    '@Module({ imports: [BetaModule] })',
    'export class AlphaModule {',
    '  static of(beta: Beta): [Alpha, AlphaRecord] {',
    '    return [new Alpha(beta.id), new AlphaRecord()];',
    '  }',
    '}',
  ].join('\n'),
  'src/modules/alpha/domain/alpha.entity.ts': [
    "import { isValidId } from './alpha.rules.js';",
    'export class Alpha {',
    '  constructor(readonly id: string) {',
    "    if (!isValidId(id)) throw new Error('invalid id');",
    '  }',
    '}',
  ].join('\n'),
  'src/modules/alpha/domain/alpha.rules.ts': 'export const isValidId = (id: string) => id.length > 0;',
  'src/modules/alpha/persistence/alpha.record.ts': [
    "import { Entity } from 'typeorm';",
    "@Entity('alpha_alpha')",
    'export class AlphaRecord {}',
  ].join('\n'),
  'test/alpha.e2e-spec.ts':
    "import { AlphaModule } from '../src/modules/alpha/index.js';\nexport const m = AlphaModule;",
  'src/reconciliation/index.ts': "export { type Check, register } from './registry.js';",
  'src/reconciliation/registry.ts': [
    "import { tasks } from '../outbox/index.js';",
    'export type Check = () => string[];',
    'export const register = (name: string, check: Check) => tasks.set(name, check);',
  ].join('\n'),
  'src/outbox/tasks.ts': 'export const tasks = new Map<string, unknown>();',
  'src/outbox/index.ts': "export { tasks } from './tasks.js';",
  'src/outbox/host.ts': "export { relay } from './relay.js';",
  'src/outbox/testing.ts': "export { relay } from './relay.js';",
  'src/main.ts': "import { relay } from './outbox/host.js';\nexport const start = relay;",
  'test/outbox.e2e-spec.ts': "import { relay } from '../src/outbox/testing.js';\nexport const r = relay;",
  'src/modules/beta/beta.reconciler.ts': [
    "import { register } from '../../reconciliation/index.js';",
    "register('beta', () => []);",
  ].join('\n'),
};

interface Scenario {
  name: string;
  files: Record<string, string>;
  expected: Violation[];
}

const scenarios: Scenario[] = [
  {
    name: "a module importing another module's internal file",
    files: {
      'src/modules/alpha/application/describe-beta.handler.ts': [
        "import { Beta } from '../../beta/domain/beta.entity.js';",
        'export const describeBeta = (beta: Beta) => beta.id;',
      ].join('\n'),
    },
    expected: [
      {
        rule: 'module-internals-from-other-module',
        from: 'src/modules/alpha/application/describe-beta.handler.ts',
        to: 'src/modules/beta/domain/beta.entity.ts',
      },
    ],
  },
  {
    name: "code outside src/modules importing a module's internal file",
    files: {
      'src/app.module.ts': [
        "import { Module } from '@nestjs/common';",
        "import { AlphaModule } from './modules/alpha/index.js';",
        "import { BetaModule } from './modules/beta/beta.module.js';",
        '@Module({ imports: [AlphaModule, BetaModule] })',
        'export class AppModule {}',
      ].join('\n'),
      'test/beta.e2e-spec.ts':
        "import { Beta } from '../src/modules/beta/domain/beta.entity.js';\nexport const b = Beta;",
    },
    expected: [
      { rule: 'module-internals-from-outside', from: 'src/app.module.ts', to: 'src/modules/beta/beta.module.ts' },
      {
        rule: 'module-internals-from-outside',
        from: 'test/beta.e2e-spec.ts',
        to: 'src/modules/beta/domain/beta.entity.ts',
      },
    ],
  },
  {
    name: 'a domain file importing @nestjs/common',
    files: {
      'src/modules/alpha/domain/alpha.policy.ts': [
        "import { Injectable } from '@nestjs/common';",
        '@Injectable()',
        'export class AlphaPolicy {}',
      ].join('\n'),
    },
    expected: [
      {
        rule: 'domain-imports-no-framework',
        from: 'src/modules/alpha/domain/alpha.policy.ts',
        to: 'node_modules/@nestjs/common/',
      },
    ],
  },
  {
    name: 'a domain file importing a TypeORM type only',
    files: {
      'src/modules/alpha/domain/alpha.repository.ts': [
        "import type { Repository } from 'typeorm';",
        'export type AlphaRepository = Repository<object>;',
      ].join('\n'),
    },
    expected: [
      {
        rule: 'domain-imports-no-framework',
        from: 'src/modules/alpha/domain/alpha.repository.ts',
        to: 'node_modules/typeorm/',
      },
    ],
  },
  {
    name: "a domain file importing its module's persistence layer",
    files: {
      'src/modules/alpha/domain/alpha.entity.ts': [
        "import type { AlphaRecord } from '../persistence/alpha.record.js';",
        'export class Alpha {',
        '  constructor(readonly id: string) {}',
        '  toRecord(): AlphaRecord | undefined {',
        '    return undefined;',
        '  }',
        '}',
      ].join('\n'),
    },
    expected: [
      {
        rule: 'domain-imports-no-outer-layer',
        from: 'src/modules/alpha/domain/alpha.entity.ts',
        to: 'src/modules/alpha/persistence/alpha.record.ts',
      },
    ],
  },
  {
    name: 'a module file importing bullmq and ioredis',
    files: {
      'src/modules/alpha/application/publish-alpha.handler.ts': [
        "import { Queue } from 'bullmq';",
        "import { Redis } from 'ioredis';",
        "export const publish = () => new Queue('alpha', { connection: new Redis() });",
      ].join('\n'),
    },
    expected: [
      {
        rule: 'modules-no-bullmq-or-ioredis',
        from: 'src/modules/alpha/application/publish-alpha.handler.ts',
        to: 'node_modules/bullmq/',
      },
      {
        rule: 'modules-no-bullmq-or-ioredis',
        from: 'src/modules/alpha/application/publish-alpha.handler.ts',
        to: 'node_modules/ioredis/',
      },
    ],
  },
  {
    name: "a module importing the reconciler framework's internal file",
    files: {
      'src/modules/alpha/alpha.reconciler.ts': [
        "import { register } from '../../reconciliation/registry.js';",
        "register('alpha', () => []);",
      ].join('\n'),
    },
    expected: [
      {
        rule: 'reconciliation-internals-from-modules',
        from: 'src/modules/alpha/alpha.reconciler.ts',
        to: 'src/reconciliation/registry.ts',
      },
    ],
  },
  {
    name: 'the reconciler framework importing a module and bullmq',
    files: {
      'src/reconciliation/scheduler.ts': [
        "import { Queue } from 'bullmq';",
        "import { AlphaModule } from '../modules/alpha/index.js';",
        "export const schedule = () => [new Queue('reconcile'), AlphaModule];",
      ].join('\n'),
    },
    expected: [
      {
        rule: 'reconciliation-no-modules-no-queues',
        from: 'src/reconciliation/scheduler.ts',
        to: 'src/modules/alpha/index.ts',
      },
      {
        rule: 'reconciliation-no-modules-no-queues',
        from: 'src/reconciliation/scheduler.ts',
        to: 'node_modules/bullmq/',
      },
    ],
  },
  {
    name: 'the platform importing bullmq',
    files: {
      'src/platform/queue-health.ts':
        "import { Queue } from 'bullmq';\nexport const q = (name: string) => new Queue(name);",
    },
    expected: [{ rule: 'platform-no-bullmq', from: 'src/platform/queue-health.ts', to: 'node_modules/bullmq/' }],
  },
  {
    name: 'the platform importing the outbox',
    files: {
      'src/platform/queue-health.ts': "import { relay } from '../outbox/relay.js';\nexport const start = relay;",
    },
    expected: [{ rule: 'platform-not-to-outbox', from: 'src/platform/queue-health.ts', to: 'src/outbox/relay.ts' }],
  },
  {
    name: 'the outbox importing the app around it',
    files: {
      'src/config/app-config.ts': 'export const config = { relayBatchSize: 500 };',
      'src/outbox/relay-batch.ts': "import { config } from '../config/app-config.js';\nexport const size = config;",
    },
    expected: [{ rule: 'outbox-imports-no-host', from: 'src/outbox/relay-batch.ts', to: 'src/config/app-config.ts' }],
  },
  {
    name: 'a module importing an outbox internal',
    files: {
      'src/modules/alpha/application/relay-now.ts':
        "import { relay } from '../../../outbox/relay.js';\nexport const r = relay;",
    },
    expected: [
      {
        rule: 'outbox-door-for-modules',
        from: 'src/modules/alpha/application/relay-now.ts',
        to: 'src/outbox/relay.ts',
      },
    ],
  },
  {
    name: 'the composition root importing an outbox internal',
    files: { 'src/main.ts': "import { relay } from './outbox/relay.js';\nexport const start = relay;" },
    expected: [{ rule: 'outbox-door-for-host', from: 'src/main.ts', to: 'src/outbox/relay.ts' }],
  },
  {
    name: 'a test importing an outbox internal',
    files: { 'test/outbox.e2e-spec.ts': "import { relay } from '../src/outbox/relay.js';\nexport const r = relay;" },
    expected: [{ rule: 'outbox-door-for-tests', from: 'test/outbox.e2e-spec.ts', to: 'src/outbox/relay.ts' }],
  },
  {
    name: "the app importing the outbox's testing door",
    files: { 'src/main.ts': "import { relay } from './outbox/testing.js';\nexport const start = relay;" },
    expected: [{ rule: 'outbox-door-for-host', from: 'src/main.ts', to: 'src/outbox/testing.ts' }],
  },
  {
    name: 'a cycle',
    files: {
      'src/modules/alpha/domain/left.ts': "import { right } from './right.js';\nexport const left = () => right();",
      'src/modules/alpha/domain/right.ts': "import { left } from './left.js';\nexport const right = () => left();",
    },
    // depcruise reports a cycle once, from whichever member it reaches first
    expected: [
      { rule: 'no-circular', from: 'src/modules/alpha/domain/left.ts', to: 'src/modules/alpha/domain/right.ts' },
    ],
  },
  {
    name: "an event contract importing its module's persistence layer",
    files: {
      'src/modules/beta/persistence/beta.record.ts': 'export class BetaRecord {}',
      'src/modules/beta/events/beta-happened.v1.ts': [
        "import { BetaRecord } from '../persistence/beta.record.js';",
        "export const BetaHappened = { type: 'beta.happened', record: BetaRecord };",
      ].join('\n'),
    },
    expected: [
      {
        rule: 'event-contracts-stay-light',
        from: 'src/modules/beta/events/beta-happened.v1.ts',
        to: 'src/modules/beta/persistence/beta.record.ts',
      },
    ],
  },
  {
    name: 'an import that does not resolve',
    files: {
      'src/modules/alpha/alpha.api.ts': "export { gone } from './gone.js';",
    },
    expected: [{ rule: 'not-to-unresolvable', from: 'src/modules/alpha/alpha.api.ts', to: './gone.js' }],
  },
];

function writeTree(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), `${content}\n`);
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
}

/**
 * Violations match when rule and source are equal and the target is (or, for packages, contains) the path;
 * a two-file cycle may be reported from either end.
 */
function matches(actual: Violation, expected: Violation): boolean {
  const sameEdge = (from: string, to: string) =>
    actual.from === from && (actual.to === to || (to.startsWith('node_modules/') && actual.to.includes(to)));
  return (
    actual.rule === expected.rule &&
    (sameEdge(expected.from, expected.to) || (actual.rule === 'no-circular' && sameEdge(expected.to, expected.from)))
  );
}

describe('module boundaries (dependency-cruiser)', () => {
  const runs = new Map<string, Run>();
  let legalRun: Run;
  let realTree: Run;
  let realTreeJson: Run;

  beforeAll(async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'debts-hub-boundaries-'));
    try {
      const trees = [{ name: 'legal', files: legalTree }, ...scenarios];
      trees.forEach((tree, i) => writeTree(join(scratch, String(i)), { ...legalTree, ...tree.files }));

      const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      const [bin, ...scriptArgs] = (pkg.scripts['lint:deps'] ?? '').split(/\s+/);
      if (bin !== 'depcruise') throw new Error(`lint:deps should run depcruise, found: ${bin}`);
      const realArgs = scriptArgs.filter((arg, i) => arg !== '--config' && scriptArgs[i - 1] !== '--config');

      const results = await Promise.all([
        ...trees.map((_, i) => depcruise(join(scratch, String(i)), ['src', 'test', '--output-type', 'err'])),
        depcruise(repo, [...realArgs, '--output-type', 'err']),
        depcruise(repo, [...realArgs, '--output-type', 'json']),
      ]);
      legalRun = results[0]!;
      scenarios.forEach((s, i) => runs.set(s.name, results[i + 1]!));
      realTree = results[trees.length]!;
      realTreeJson = results[trees.length + 1]!;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 180_000);

  it('accepts the legal miniature (imports through index.ts, outbox owning BullMQ and Redis)', () => {
    expect(legalRun.stderr).not.toMatch(/ERROR/);
    expect(violations(legalRun.stdout)).toEqual([]);
    expect(legalRun.stdout).toMatch(/no dependency violations found/);
    expect(legalRun.status).toBe(0);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('rejects %s', (_name, scenario) => {
    const run = runs.get(scenario.name)!;
    expect(run.stderr).not.toMatch(/ERROR/);
    const found = violations(run.stdout);
    for (const expected of scenario.expected) {
      expect(found.filter((v) => matches(v, expected))).toHaveLength(1);
    }
    // Only the deliberate violation fires (the rest of the tree is the legal miniature), and the exit code counts it.
    expect(found.every((v) => scenario.expected.some((e) => matches(v, e)))).toBe(true);
    expect(run.status).toBe(found.length);
    expect(run.status).toBeGreaterThan(0);
  });

  it('passes on the real tree (npm run lint:deps)', () => {
    expect(realTree.stderr).not.toMatch(/ERROR/);
    expect(violations(realTree.stdout)).toEqual([]);
    expect(realTree.stdout).toMatch(/no dependency violations found/);
    expect(realTree.status).toBe(0);
  });

  it('resolves the real tree: every `.js` specifier of a local import lands on a `.ts` source', () => {
    const result = JSON.parse(realTreeJson.stdout) as {
      modules: {
        source: string;
        dependencies: { module: string; resolved: string; couldNotResolve: boolean; dependencyTypes: string[] }[];
      }[];
    };
    const deps = result.modules.flatMap((m) => m.dependencies.map((d) => ({ from: m.source, ...d })));
    const local = deps.filter((d) => d.dependencyTypes.includes('local') && d.module.endsWith('.js'));
    expect(local.length).toBeGreaterThan(0);
    expect(deps.filter((d) => d.couldNotResolve)).toEqual([]);
    expect(local.filter((d) => !d.resolved.endsWith('.ts'))).toEqual([]);
    expect(local.some((d) => /^src\/modules\/[^/]+\/index\.ts$/.test(d.resolved))).toBe(true);
  });
});
