import { Gauge, register } from 'prom-client';

/** How long one scrape waits for a collector's source (a query, a Redis call) before leaving it out. */
export const SCRAPE_TIMEOUT_MS = 1000;

/** One gauge a collector fills at scrape time; `combine` says how the values of several app instances in one process add up. */
export interface ScrapedGaugeSpec {
  name: string;
  help: string;
  labelNames?: string[];
  combine?: 'sum' | 'max';
}

/** A labelled value of one gauge. */
export type Sample = [labels: Record<string, string>, value: number];

/** What one source read at a scrape: samples per gauge name. */
export type Reading = Record<string, Sample[]>;

/** Reads the current values (one SQL statement, one Redis round trip per queue...). */
export type ScrapeSource = () => Promise<Reading>;

/**
 * `metrics_collector_up`: 1 when every source of a collector answered within the timeout at this
 * scrape, else 0. Its own collect() waits for the collectors' reads of this scrape (sharing them),
 * so it reports the scrape it is part of, not the previous one.
 */
function declareCollectorUp(): void {
  if (register.getSingleMetric('metrics_collector_up')) return;
  new Gauge({
    name: 'metrics_collector_up',
    help: 'Whether every source of a scrape-time collector answered within the scrape timeout',
    labelNames: ['collector'],
    async collect() {
      const results = await Promise.all([...collectors.values()].map(async (c) => [c.name, await c.up()] as const));
      this.reset();
      for (const [collector, up] of results) this.set({ collector }, up ? 1 : 0);
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A group of gauges read at scrape time from sources (one per app instance in the process; a
 * production process has one). The gauges' `collect()` callbacks share one read per scrape, so a
 * collector's query runs once however many gauges it fills, and a source that does not answer
 * within {@link SCRAPE_TIMEOUT_MS} is left out (`metrics_collector_up` 0) instead of hanging
 * `/metrics`.
 */
class ScrapeCollector {
  readonly sources = new Set<ScrapeSource>();
  private inFlight?: Promise<{ readings: Reading[]; up: boolean }>;

  constructor(
    readonly name: string,
    specs: readonly ScrapedGaugeSpec[],
  ) {
    for (const spec of specs) this.declare(spec);
  }

  private declare(spec: ScrapedGaugeSpec): void {
    if (register.getSingleMetric(spec.name)) return;
    const read = () => this.read();
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      async collect() {
        const combined = new Map<string, Sample>();
        for (const reading of await read()) {
          for (const [labels, value] of reading[spec.name] ?? []) {
            const key = JSON.stringify(labels);
            const before = combined.get(key)?.[1];
            const next =
              before === undefined ? value : spec.combine === 'max' ? Math.max(before, value) : before + value;
            combined.set(key, [labels, next]);
          }
        }
        this.reset();
        for (const [labels, value] of combined.values()) this.set(labels, value);
      },
    });
  }

  async up(): Promise<boolean> {
    return (await this.readAll()).up;
  }

  private async read(): Promise<Reading[]> {
    return (await this.readAll()).readings;
  }

  /** One read of every source, shared by the gauges collected in the same scrape. */
  private readAll(): Promise<{ readings: Reading[]; up: boolean }> {
    this.inFlight ??= (async () => {
      let up = true;
      const readings = await Promise.all(
        [...this.sources].map((source) =>
          withTimeout(source(), SCRAPE_TIMEOUT_MS).catch((): Reading => {
            up = false;
            return {};
          }),
        ),
      );
      return { readings, up };
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}

const collectors = new Map<string, ScrapeCollector>();

/**
 * Adds `source` to the scrape-time collector `name`, declaring its gauges the first time; returns
 * the function that removes the source again (call it at shutdown).
 */
export function addScrapeSource(name: string, specs: readonly ScrapedGaugeSpec[], source: ScrapeSource): () => void {
  let collector = collectors.get(name);
  if (!collector) {
    declareCollectorUp();
    collector = new ScrapeCollector(name, specs);
    collectors.set(name, collector);
  }
  collector.sources.add(source);
  const owner = collector;
  return () => {
    owner.sources.delete(source);
  };
}
