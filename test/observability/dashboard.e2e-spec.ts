import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useTestApp } from '../support/scenario.js';
import { scrape } from './prometheus-text.js';
import { familyOf, metricNames } from './promql-names.js';

const DASHBOARD = resolve('deploy/grafana/debts-hub.json');

/** Metrics another part of the app declares, which a scrape of this test's app may not show yet. */
const EXPECTED_ELSEWHERE = new Set(['projection_rebuild_duration_seconds']);

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

describe('deploy/grafana/debts-hub.json', () => {
  const t = useTestApp();
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
  const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');

  it('shows flows, lag, backlog, dead letters, findings and HTTP latency, each panel with a query', () => {
    const titles = panels.map((panel) => panel.title.toLowerCase());
    for (const topic of ['handled', 'lag', 'backlog', 'dead letters', 'findings', 'http latency']) {
      expect([topic, titles.some((title) => title.includes(topic))]).toEqual([topic, true]);
    }
    for (const panel of panels) {
      expect([panel.title, (panel.targets ?? []).filter((target) => target.expr).length > 0]).toEqual([
        panel.title,
        true,
      ]);
    }
  });

  it('queries only metrics a real /metrics serves (the projection rebuild histogram by name)', async () => {
    const result = await scrape(t.url);
    const families = new Set(result.families.keys());
    const named = panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) => metricNames(target.expr ?? '').map((name) => ({ panel, name }))),
    );
    expect(named.length).toBeGreaterThan(panels.length);
    const unknown = named
      .filter(({ name }) => familyOf(name, families) === undefined)
      .filter(({ name }) => !EXPECTED_ELSEWHERE.has(name.replace(/_(bucket|count|sum)$/, '')))
      .map(({ panel, name }) => `${panel.title}: ${name}`);
    expect(unknown).toEqual([]);
    // Declared elsewhere, but when served it must be the histogram the dashboard reads.
    for (const name of EXPECTED_ELSEWHERE) {
      if (result.families.has(name)) expect([name, result.families.get(name)]).toEqual([name, 'histogram']);
    }
  });
});
