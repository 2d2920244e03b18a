/**
 * `--backend redis|postgres|both` for the benchmarks (docs/benchmarks.md; ADR 0035). With `both` (the
 * default) the script runs itself once per queue backend, one after the other in a child process of
 * its own (a fresh app, database and pools each time), passes its output through, and prints the
 * figures each run reported side by side.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { table } from './stats.js';

export type BenchBackend = 'redis' | 'postgres';
const BACKENDS: readonly BenchBackend[] = ['redis', 'postgres'];
/** The line a single-backend run ends with: its figures, as JSON, for the side-by-side table. */
const FIGURES_MARK = 'BENCH_FIGURES ';

export interface BenchFigure {
  figure: string;
  unit: string;
  value: number;
}

/** Reads `--backend` (default `both`); the other arguments are left to the script. */
export function backendOption(argv = process.argv.slice(2)): BenchBackend | 'both' {
  const { values } = parseArgs({ args: argv, options: { backend: { type: 'string' } }, strict: false });
  const backend = (values.backend as string | undefined) ?? 'both';
  if (backend !== 'both' && !BACKENDS.includes(backend as BenchBackend)) {
    throw new Error(`--backend must be redis, postgres or both, not "${backend}"`);
  }
  return backend as BenchBackend | 'both';
}

/** Prints the figures of a single-backend run in the form {@link runOnEachBackend} collects. */
export function reportFigures(backend: BenchBackend, figures: BenchFigure[]): void {
  process.stdout.write(`${FIGURES_MARK}${JSON.stringify({ backend, figures })}\n`);
}

/**
 * Runs this script (`process.argv[1]`) with `--backend redis`, then `--backend postgres`, and prints
 * their figures side by side. A run that fails is reported, and the other still runs.
 */
export async function runOnEachBackend(title: string): Promise<number> {
  const passed = process.argv.slice(2).filter((arg, i, all) => arg !== '--backend' && all[i - 1] !== '--backend');
  const byBackend = new Map<BenchBackend, BenchFigure[]>();
  let failures = 0;
  for (const backend of BACKENDS) {
    process.stdout.write(`\n######## ${title}: queue backend ${backend} ########\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [process.argv[1], ...passed, '--backend', backend], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith(FIGURES_MARK)) {
            const parsed = JSON.parse(line.slice(FIGURES_MARK.length)) as { figures: BenchFigure[] };
            byBackend.set(backend, parsed.figures);
          } else process.stdout.write(`${line}\n`);
        }
      });
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    if (code !== 0) {
      failures += 1;
      process.stdout.write(`${title} on ${backend} failed (exit ${code})\n`);
    }
  }
  const names: { figure: string; unit: string }[] = [];
  for (const figures of byBackend.values()) {
    for (const { figure, unit } of figures) {
      if (!names.some((n) => n.figure === figure)) names.push({ figure, unit });
    }
  }
  const value = (backend: BenchBackend, figure: string) =>
    byBackend.get(backend)?.find((f) => f.figure === figure)?.value;
  const show = (n: number | undefined) =>
    n === undefined ? '–' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
  process.stdout.write(`\n== ${title}: queue backends side by side ==\n`);
  process.stdout.write(
    `${table(
      ['figure', 'unit', 'redis', 'postgres', 'postgres ÷ redis'],
      names.map(({ figure, unit }) => {
        const redis = value('redis', figure);
        const postgres = value('postgres', figure);
        const quotient = redis && postgres !== undefined ? `${(postgres / redis).toFixed(2)}×` : '–';
        return [figure, unit, show(redis), show(postgres), quotient];
      }),
    )}\n`,
  );
  return failures === 0 ? 0 : 1;
}
