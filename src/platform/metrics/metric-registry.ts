import { Counter, Gauge, Histogram, register } from 'prom-client';

// Metrics live in prom-client's default registry, one per process, while several app instances
// (tests, roles) may build the providers that declare them: reuse a metric already registered.

export function counter(name: string, help: string, labelNames: string[] = []): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames });
}

export function gauge(name: string, help: string, labelNames: string[] = []): Gauge {
  return (register.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, labelNames });
}

export function histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram {
  return (
    (register.getSingleMetric(name) as Histogram | undefined) ?? new Histogram({ name, help, labelNames, buckets })
  );
}
