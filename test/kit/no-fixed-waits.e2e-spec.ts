import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Tests await outcomes with `eventually()` (or `consistently()` for "nothing else happens"), never
 * with a fixed sleep (/work/shared/STYLE.md, issue 16.6). A raw timer is allowed only in the files
 * below, each for a reason that is not waiting for an outcome; anything else that must take time on
 * purpose calls `pace()` from test/support/pace.ts and says why beside the call.
 */
const ALLOWED: Record<string, string> = {
  'test/support/pace.ts': 'the one deliberate wait: load pacing, fault schedules, chaos jitter, slow handlers',
  'test/support/eventually.ts': "the pollers' interval between attempts",
  'test/support/deadline.ts': 'a deadline timer: rejects a promise still pending, never delays one that settled',
  'test/support/gateway-stub.ts': "the stub process's start-up deadline: rejects if it never says it listens",
  'test/kit/test-timeouts.e2e-spec.ts': 'tests the timeout wrapper itself, with a callback-style body',
  'test/outbox/retention.e2e-spec.ts': 'pg_sleep inside SQL, to trip the statement_timeout under test',
  'test/kit/no-fixed-waits.e2e-spec.ts': 'this test, which names the patterns it looks for',
};

/** A timer or sleep of any spelling: `setTimeout(`, `setInterval(`, `sleep(`, timers/promises. */
const FIXED_WAIT = /\bset(?:Timeout|Interval)\s*\(|sleep\s*\(|timers\/promises/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('no fixed waits in the tests', () => {
  const root = process.cwd();
  const files = sources(join(root, 'test')).map((path) => relative(root, path).split(sep).join('/'));

  it('finds the test sources it checks', () => {
    expect(files).toContain('test/kit/no-fixed-waits.e2e-spec.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it('has no timer or sleep outside the allow-list', () => {
    const offending = files
      .filter((file) => !(file in ALLOWED))
      .flatMap((file) =>
        readFileSync(join(root, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (FIXED_WAIT.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offending).toEqual([]);
  });

  it('lists only files that still need their entry', () => {
    const stale = Object.keys(ALLOWED).filter(
      (file) => !files.includes(file) || !FIXED_WAIT.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(stale).toEqual([]);
  });

  it('would catch each spelling of a fixed wait', () => {
    for (const line of [
      'await new Promise((resolve) => setTimeout(resolve, 300));',
      "import { setTimeout as delay } from 'node:timers/promises';",
      'await sleep(100);',
      'setInterval (tick, 10);',
    ]) {
      expect(FIXED_WAIT.test(line)).toBe(true);
    }
    expect(FIXED_WAIT.test('await eventually(() => expect(n).toBe(1));')).toBe(false);
  });
});
