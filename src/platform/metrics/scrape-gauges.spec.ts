import { register } from 'prom-client';
import { addScrapeSource, SCRAPE_TIMEOUT_MS } from './scrape-gauges.js';

describe('scrape-time gauges', () => {
  it('sums the sources of several app instances, or takes their maximum', async () => {
    const specs = [
      { name: 'test_scrape_sum', help: 'sum' },
      { name: 'test_scrape_max', help: 'max', labelNames: ['lane'], combine: 'max' as const },
    ];
    const read = (n: number) => async () => ({
      test_scrape_sum: [[{}, n]] as [Record<string, string>, number][],
      test_scrape_max: [[{ lane: 'critical' }, n]] as [Record<string, string>, number][],
    });
    const removeA = addScrapeSource('test-combine', specs, read(2));
    const removeB = addScrapeSource('test-combine', specs, read(5));
    const text = await register.metrics();
    expect(text).toMatch(/^test_scrape_sum 7$/m);
    expect(text).toMatch(/^test_scrape_max\{lane="critical"\} 5$/m);
    removeB();
    expect(await register.getSingleMetricAsString('test_scrape_sum')).toMatch(/^test_scrape_sum 2$/m);
    removeA();
  });

  it('leaves a source that does not answer out of the scrape after the timeout, and reports the collector down', async () => {
    const never = () => new Promise<never>(() => undefined);
    const remove = addScrapeSource('test-hung', [{ name: 'test_scrape_hung', help: 'hung', labelNames: ['x'] }], never);
    const started = Date.now();
    const text = await register.metrics();
    const took = Date.now() - started;
    remove();
    expect(took).toBeGreaterThanOrEqual(SCRAPE_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(SCRAPE_TIMEOUT_MS + 2000);
    expect(text).not.toMatch(/^test_scrape_hung\{/m);
    expect(text).toMatch(/^metrics_collector_up\{collector="test-hung"\} 0$/m);
  });
});
