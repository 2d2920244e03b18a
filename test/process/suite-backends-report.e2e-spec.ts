import { parseRecords, reportLines, sourceName } from '../support/suite-backends-report.js';

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
