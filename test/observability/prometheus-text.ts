import { spawnSync } from 'node:child_process';
import request from 'supertest';

/** One sample of a scrape: metric name (with any _bucket/_count/_sum suffix), labels, value. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text exposition into samples (comments skipped). */
export function parseSamples(text: string): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The metric families a scrape declares (`# TYPE name kind`). */
export function declaredFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const [, name, kind] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(name, kind);
  return families;
}

/** A scrape of `url`/metrics, parsed; the value of a sample is looked up with {@link Scrape.value}. */
export class Scrape {
  readonly samples: ParsedSample[];
  readonly families: Map<string, string>;

  constructor(readonly text: string) {
    this.samples = parseSamples(text);
    this.families = declaredFamilies(text);
  }

  /** The sum of the samples of `name` whose labels include `labels` (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }
}

export async function scrape(url: string, token?: string): Promise<Scrape> {
  const call = request(url).get('/metrics');
  const res = await (token === undefined ? call : call.set('Authorization', `Bearer ${token}`));
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return new Scrape(res.text);
}

/**
 * Runs `promtool` with `args` (and `input` on stdin). Tests that call it are declared with
 * `itWithTool(..., PROMTOOL)`: skipped and reported where promtool is missing, unless
 * TEST_REQUIRE_TOOLS=1 (CI), where this throws with the way to get it.
 */
export function promtool(args: string[], input?: string): { status: number; output: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool is not installed: install the Debian package "prometheus" (apt-get install -y --no-install-recommends prometheus; .ci/run does it)',
    );
  }
  if (result.error) throw result.error;
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}
