import { parseRecords, reportLines, sourceName } from '../support/suite-backends-report.js';
import { type Tool, toolSkipReason } from '../support/tools.js';

const env = { queueBackend: 'postgres', databaseUrl: 'postgres://pg', redisUrl: 'redis://r' };

describe('the end-of-run queue backend report', () => {
  it('lists the suites of each backend and names every suite that did not run, with its reason', () => {
    const { records, bad } = parseRecords(
      [
        '{"file":"test/outbox/delivery.e2e-spec.ts","backend":"postgres","ran":true}',
        '{"file":"test/outbox/delivery.e2e-spec.ts","backend":"postgres","ran":true}',
        '{"file":"test/outbox/chaos/redis-flushall.e2e-spec.ts","backend":"none","ran":false,"reason":"no Redis answers PING"}',
        '{"file":"test/outbox/bull-board.e2e-spec.ts","backend":"redis","ran":true}',
        'not json',
        '',
      ].join('\n'),
    );
    expect(bad).toEqual(['not json']);
    const lines = reportLines(
      records,
      ['test/outbox/delivery.e2e-spec.ts', 'src/config/app-config.spec.ts', 'test/outbox/bull-board.e2e-spec.ts'],
      env,
    );
    expect(lines).toEqual([
      'Queue backends (TEST_QUEUE_BACKEND=postgres; PostgreSQL postgres://pg; Redis redis://r):',
      '  ran on postgres (1): test/outbox/delivery.e2e-spec.ts',
      '  ran on redis (1): test/outbox/bull-board.e2e-spec.ts',
      '  no queue backend recorded (1): unit tests and suites that start no app: src/config/app-config.spec.ts',
      '  NOT RUN (1):',
      '    test/outbox/chaos/redis-flushall.e2e-spec.ts: no Redis answers PING',
    ]);
  });

  it('names each test that did not run for want of a tool, without counting its suite as not run', () => {
    const { records } = parseRecords(
      [
        '{"file":"test/observability/alerts.e2e-spec.ts","backend":"redis","ran":true}',
        '{"file":"test/observability/alerts.e2e-spec.ts","backend":"none","ran":false,"reason":"promtool is not installed","test":"passes promtool check rules"}',
      ].join('\n'),
    );
    const lines = reportLines(records, ['test/observability/alerts.e2e-spec.ts'], env);
    expect(lines.slice(1)).toEqual([
      '  ran on redis (1): test/observability/alerts.e2e-spec.ts',
      '  no queue backend recorded (0): unit tests and suites that start no app',
      '  TESTS NOT RUN (1):',
      '    test/observability/alerts.e2e-spec.ts › passes promtool check rules: promtool is not installed',
    ]);
  });

  it('skips a test whose tool is missing, unless TEST_REQUIRE_TOOLS asks for every tool', () => {
    const missing: Tool = { name: 'no-such-tool', command: () => undefined, install: 'apt-get install nothing' };
    const present: Tool = { ...missing, command: () => ['true'] };
    const required = process.env.TEST_REQUIRE_TOOLS;
    try {
      delete process.env.TEST_REQUIRE_TOOLS;
      expect(toolSkipReason(missing)).toMatch(/^no-such-tool is not installed \(apt-get install nothing; /);
      expect(toolSkipReason(present)).toBeUndefined();
      process.env.TEST_REQUIRE_TOOLS = '1';
      expect(toolSkipReason(missing)).toBeUndefined();
    } finally {
      if (required === undefined) delete process.env.TEST_REQUIRE_TOOLS;
      else process.env.TEST_REQUIRE_TOOLS = required;
    }
  });

  it('says so when no suite recorded anything, instead of printing nothing', () => {
    const lines = reportLines([], ['test/a.e2e-spec.ts'], env);
    expect(lines).toContain('  no suite recorded a queue backend');
    expect(lines).toContain('  every suite ran');
  });

  it('names suites by their source path, whatever the build directory', () => {
    expect(sourceName(`${process.cwd()}/.test-build/test/outbox/x.e2e-spec.js`)).toBe('test/outbox/x.e2e-spec.ts');
    expect(sourceName(`file://${process.cwd()}/.test-build-2/src/a.spec.js`)).toBe('src/a.spec.ts');
    expect(sourceName('test/outbox/x.e2e-spec.ts')).toBe('test/outbox/x.e2e-spec.ts');
  });
});
