// @ts-check
/**
 * Architecture rules checked by `npm run lint:deps` (STYLE.md, "Rules that tools check").
 * test/architecture/boundaries.e2e-spec.ts proves each rule fails on a deliberate violation.
 *
 * Paths are matched relative to the working directory, so depcruise must run from the repo root
 * (the architecture test runs it from a scratch tree with the same `src/modules/...` shape).
 */
const path = require('node:path');

/** Anything that resolves into node_modules, or a bare specifier that did not resolve at all. */
const npmPackage = (/** @type {string} */ names) => `(^|/)node_modules/(${names})/|^(${names})(/|$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'module-internals-from-other-module',
      comment:
        "A module may import another module only through that module's index.ts, its public surface " +
        '(facade, Nest module, event contracts), or its events/index.ts, the event contracts alone (ADR 0014). ' +
        'Export what you need from there instead.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/[^/]+/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$', '^src/modules/[^/]+/events/index\\.ts$'],
      },
    },
    {
      name: 'event-contracts-stay-light',
      comment:
        "A module's events/ hold only its published contracts: they may use the module's domain/ constants, the " +
        'outbox and platform APIs, but nothing else of the module, so importing events/index.ts never pulls in ' +
        'the module (and cannot close a cycle) (ADR 0014).',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/events/' },
      to: {
        path: '^src/modules/',
        pathNot: ['^src/modules/$1/events/', '^src/modules/$1/domain/'],
      },
    },
    {
      name: 'module-internals-from-outside',
      comment:
        'Code outside src/modules (app.module, platform, outbox, test/, scripts/) reaches a module only through its index.ts.',
      severity: 'error',
      from: { pathNot: '^src/modules/' },
      to: {
        path: '^src/modules/[^/]+/',
        pathNot: '^src/modules/[^/]+/index\\.ts$',
      },
    },
    {
      name: 'domain-imports-no-framework',
      comment:
        'domain/ holds entities and rules in plain TypeScript: no Nest, no TypeORM, no BullMQ/Redis, no pg, ' +
        'no express - no npm package at all.',
      severity: 'error',
      from: { path: '^src/modules/[^/]+/domain/' },
      to: {
        path: [
          npmPackage('@nestjs/[^/]+|typeorm|bullmq|ioredis|pg|express'),
          // any other package as well: the domain stays framework- and library-free
          '(^|/)node_modules/',
        ],
      },
    },
    {
      name: 'domain-imports-no-outer-layer',
      comment:
        "domain/ must not depend on its module's application/, http/, persistence/ or listeners/ folders, " +
        'nor on the infrastructure in src/outbox, src/platform or src/database; dependencies point inwards.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/domain/' },
      to: {
        path: ['^src/modules/$1/(application|http|persistence|listeners)/', '^src/(outbox|platform|database)/'],
      },
    },
    {
      name: 'modules-no-bullmq-or-ioredis',
      comment:
        'Only src/outbox knows BullMQ and Redis; events leave a module through the outbox writer with the ' +
        "caller's transaction.",
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: npmPackage('bullmq|ioredis') },
    },
    {
      name: 'reconciliation-internals-from-modules',
      comment:
        'Modules use the reconciler framework (src/reconciliation) only through its index.ts: the `@Reconciler()` ' +
        'decorator and the Reconciler and Finding types.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/reconciliation/', pathNot: '^src/reconciliation/index\\.ts$' },
    },
    {
      name: 'reconciliation-no-modules-no-queues',
      comment:
        'The reconciler framework knows no business module (modules register their reconcilers with it) and, like ' +
        'the modules, schedules through the outbox API, never bullmq or ioredis directly.',
      severity: 'error',
      from: { path: '^src/reconciliation/' },
      to: { path: ['^src/modules/', npmPackage('bullmq|ioredis')] },
    },
    {
      name: 'platform-no-bullmq',
      comment: 'Only src/outbox knows BullMQ; the platform (http, auth, health, admin) goes through the outbox API.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: npmPackage('bullmq') },
    },
    {
      name: 'platform-not-to-outbox',
      comment:
        'The platform sits below the outbox: it declares ports (e.g. QUEUE_ENGINE) that the composition root binds ' +
        'to the outbox, and never imports the outbox itself.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/outbox/' },
    },
    {
      name: 'outbox-imports-no-host',
      comment:
        'The outbox is a library: its options, catalogue and ports come in through OutboxModule.forRoot, so it ' +
        'imports nothing of the app around it (docs/adr/0047-outbox-options-ports-and-doors.md).',
      severity: 'error',
      from: { path: '^src/outbox/' },
      to: { path: '^src/', pathNot: '^src/outbox/' },
    },
    {
      name: 'outbox-door-for-modules',
      comment: 'Modules and reconciliation reach the outbox through src/outbox/index.ts only.',
      severity: 'error',
      from: { path: '^src/(modules|reconciliation)/' },
      to: { path: '^src/outbox/', pathNot: '^src/outbox/index\\.ts$' },
    },
    {
      name: 'outbox-door-for-host',
      comment:
        'The composition root reaches the outbox through src/outbox/index.ts and src/outbox/host.ts only; ' +
        'src/outbox/testing.ts (internals for tests) is never imported by the app.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(outbox|modules|reconciliation|platform)/' },
      to: { path: '^src/outbox/', pathNot: '^src/outbox/(index|host)\\.ts$' },
    },
    {
      name: 'outbox-door-for-tests',
      comment: 'Tests, benchmarks and scripts reach the outbox through its three doors: index.ts, host.ts, testing.ts.',
      severity: 'error',
      from: { path: '^(test|bench|scripts|migrations)/' },
      to: { path: '^src/outbox/', pathNot: '^src/outbox/(index|host|testing)\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'Circular dependencies make initialisation order fragile (and hide layering mistakes).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'The import does not resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Anchored: an unanchored `dist/` would also drop every import of a package that ships from dist/ (bullmq).
    exclude: { path: '^(dist|\\.test-build|coverage)/' },
    // Keep type-only imports in the graph: `import type { Repository } from 'typeorm'` in domain/ is a violation too.
    tsPreCompilationDeps: true,
    // nodenext: relative imports are written with `.js` while the sources are `.ts`. dependency-cruiser 17
    // resolves `./x.js` to `./x.ts` itself when the .js file does not exist (its schema rejects enhanced-resolve's
    // `extensionAlias`); the tsConfig makes it parse the sources the way tsc does. Absolute path, so the
    // architecture test can run this config from a scratch directory.
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
