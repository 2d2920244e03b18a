import { metricNames } from './promql-names.js';

describe('metricNames (the PromQL reading the dashboard and rule tests rely on)', () => {
  it('finds metrics and skips functions, modifiers, labels, ranges and numbers', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (subscriber, le) (rate(outbox_end_to_end_latency_seconds_bucket{lane="bulk"}[5m]))) > 30',
      ),
    ).toEqual(['outbox_end_to_end_latency_seconds_bucket']);
    expect(
      metricNames(
        'sum(rate(http_requests_total{status_class="5xx"}[$__rate_interval])) / sum(rate(http_requests_total[5m])) > 0.01',
      ),
    ).toEqual(['http_requests_total']);
    expect(metricNames('max(outbox_backlog_events) - max(outbox_backlog_events offset 15m) > 1e3')).toEqual([
      'outbox_backlog_events',
    ]);
    expect(metricNames('min by (collector) (metrics_collector_up) == 0 and on() vector(1)')).toEqual([
      'metrics_collector_up',
    ]);
  });
});
