/**
 * Jest reporter and report (jest.config.js): the last lines of every run say which suites ran on which queue
 * backend and name each suite that did not run, with its reason, from the JSON lines
 * `{file, backend, ran, reason?, test?}` that test/support/suite-backends.ts appends to
 * TEST_REPORT_FILE (default .test-build/suite-backends.jsonl). Nothing is left unsaid: a missing
 * or empty file, and suites that recorded nothing, are reported too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { suiteReportFile } from './global-setup.js';

export interface SuiteRecord {
  file: string;
  backend: string;
  ran: boolean;
  reason?: string;
  /** Set when the record is about one test of the suite (a test that needs a tool: test/support/tools.ts). */
  test?: string;
}

/** A test file's name as its source path from the project root: test/x/y.e2e-spec.ts. */
export function sourceName(file: string): string {
  const path = file.startsWith('file://') ? new URL(file).pathname : file;
  return relative(process.cwd(), path)
    .replace(/^[^/]*\/(?=(test|src|scripts)\/)/, '')
    .replace(/\.js$/, '.ts');
}

/** Parses the JSON lines; a line that is not a record is reported, not dropped. */
export function parseRecords(text: string): { records: SuiteRecord[]; bad: string[] } {
  const records: SuiteRecord[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as Partial<SuiteRecord>;
      if (typeof value.file !== 'string' || typeof value.backend !== 'string' || typeof value.ran !== 'boolean') {
        bad.push(line);
      } else records.push({ ...value, file: sourceName(value.file) } as SuiteRecord);
    } catch {
      bad.push(line);
    }
  }
  return { records, bad };
}

/**
 * The report's lines. `suites` are the test files Jest ran (source names).
 */
export function reportLines(
  records: SuiteRecord[],
  suites: string[],
  env: { queueBackend: string; redisUrl: string; databaseUrl: string },
): string[] {
  const byBackend = new Map<string, Set<string>>();
  const notRun = new Map<string, string[]>();
  const testsNotRun: string[] = [];
  for (const record of records) {
    if (record.test !== undefined) {
      const line = `${record.file} › ${record.test}: ${record.reason ?? 'no reason given'}`;
      if (!record.ran && !testsNotRun.includes(line)) testsNotRun.push(line);
    } else if (record.ran) {
      const set = byBackend.get(record.backend) ?? new Set<string>();
      set.add(record.file);
      byBackend.set(record.backend, set);
    } else {
      const reasons = notRun.get(record.file) ?? [];
      const reason = `${record.backend === 'none' ? '' : `on ${record.backend}: `}${record.reason ?? 'no reason given'}`;
      if (!reasons.includes(reason)) reasons.push(reason);
      notRun.set(record.file, reasons);
    }
  }
  const recorded = new Set(records.filter((r) => r.test === undefined).map((r) => r.file));
  const unrecorded = suites.filter((s) => !recorded.has(s));
  const lines = [
    `Queue backends (TEST_QUEUE_BACKEND=${env.queueBackend}; PostgreSQL ${env.databaseUrl}; Redis ${env.redisUrl}):`,
  ];
  for (const backend of [...byBackend.keys()].sort()) {
    const files = [...(byBackend.get(backend) ?? [])].sort();
    lines.push(`  ran on ${backend} (${files.length}): ${files.join(', ')}`);
  }
  if (records.length === 0) lines.push('  no suite recorded a queue backend');
  lines.push(
    `  no queue backend recorded (${unrecorded.length}): unit tests and suites that start no app` +
      (unrecorded.length > 0 && unrecorded.length <= 10 ? `: ${unrecorded.sort().join(', ')}` : ''),
  );
  if (notRun.size === 0 && testsNotRun.length === 0) lines.push('  every suite ran');
  if (notRun.size > 0) {
    lines.push(`  NOT RUN (${notRun.size}):`);
    for (const [file, reasons] of [...notRun].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`    ${file}: ${reasons.join('; ')}`);
    }
  }
  if (testsNotRun.length > 0) {
    lines.push(`  TESTS NOT RUN (${testsNotRun.length}):`);
    for (const line of testsNotRun.sort()) lines.push(`    ${line}`);
  }
  return lines;
}

interface RunResults {
  testResults: Array<{ testFilePath: string }>;
}

const SUITES = Symbol.for('debts-hub.suites-run');

/** The report for the run that just ended, read from the records file. */
export function runReport(): string {
  const suites = (globalThis as { [SUITES]?: string[] })[SUITES] ?? [];
  const file = suiteReportFile();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const { records, bad } = parseRecords(text);
  const lines = reportLines(records, suites, {
    queueBackend: process.env.TEST_QUEUE_BACKEND ?? 'redis (default)',
    databaseUrl: process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432',
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  if (!existsSync(file)) lines.push(`  (${relative(process.cwd(), file)} does not exist: no suite wrote a record)`);
  for (const line of bad) lines.push(`  unreadable record in ${relative(process.cwd(), file)}: ${line}`);
  return `\n${lines.join('\n')}\n`;
}

/**
 * Collects the test files Jest ran; global-teardown.ts prints {@link runReport} after Jest's own
 * summary (reporters all finish before the summary is printed, the teardown after it).
 */
export default class SuiteBackendsReporter {
  onRunComplete(_contexts: unknown, results: RunResults): void {
    (globalThis as { [SUITES]?: string[] })[SUITES] = results.testResults.map((r) => sourceName(r.testFilePath));
  }

  getLastError(): undefined {
    return undefined;
  }
}
