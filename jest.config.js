/**
 * Tests run on the `tsc` build of src/ and test/ (`.test-build/`), in bare Node through
 * jest-light-runner: NestJS 12 and TypeORM 1 are ES modules that CommonJS libraries such as
 * @nestjs/throttler and nestjs-pino `require()`, which Jest's own module VM cannot do on Node 20
 * (docs/adr/0004-esm-and-test-runner.md). tsc keeps the decorator metadata Nest's DI needs.
 */
const shared = {
  runner: 'jest-light-runner',
  testEnvironment: 'node',
  // TEST_BUILD_DIR lets parallel runs (several engineers on one machine) keep separate builds.
  rootDir: process.env.TEST_BUILD_DIR ?? '.test-build',
  transform: {},
  // The runner enforces no timeouts of its own: this file does (a hung test fails, named).
  setupFilesAfterEnv: [`<rootDir>/test/support/test-timeouts.js`],
};

const build = process.env.TEST_BUILD_DIR ?? '.test-build';

export default {
  // Starts an embedded PostgreSQL and a private redis-server when none answers, and stops them
  // afterwards; the report names the queue backend of every suite and every suite that did not run
  // (docs/adr/0036-embedded-postgresql-for-dev-and-test.md).
  globalSetup: `./${build}/test/support/global-setup.js`,
  globalTeardown: `./${build}/test/support/global-teardown.js`,
  reporters: ['default', `./${build}/test/support/suite-backends-report.js`],
  // With one worker the light runner falls back to the main thread, which cannot serve two projects.
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.js', '<rootDir>/scripts/**/*.spec.js'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.js'] },
  ],
};
