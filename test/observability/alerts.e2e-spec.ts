import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useTestApp } from '../support/scenario.js';
import { itWithTool } from '../support/suite-backends.js';
import { PROMTOOL } from '../support/tools.js';
import { promtool, scrape } from './prometheus-text.js';
import { familyOf, metricNames, ruleExpressions } from './promql-names.js';

const RULES = resolve('deploy/prometheus/alerts.yml');
const RULE_TESTS = resolve('deploy/prometheus/alerts.test.yml');
const RUNBOOK = resolve('docs/operations.md');

/** Alerts docs/operations.md and issue 15 promise, by the name each is defined under. */
const REQUIRED_ALERTS = [
  'OutboxConsumerLag',
  'OutboxOldestPendingAge',
  'OutboxDeadLettersGrowing',
  'ReconciliationExceptionsOpen',
  'SweeperRedrives',
  'HttpErrorRateHigh',
  'HttpLatencyP99High',
];

describe('deploy/prometheus/alerts.yml', () => {
  const t = useTestApp();

  itWithTool(import.meta.url, PROMTOOL)('passes `promtool check rules`', () => {
    const result = promtool(['check', 'rules', RULES]);
    expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  itWithTool(import.meta.url, PROMTOOL)(
    'passes its unit tests (`promtool test rules`): each alert fires on its cause and not on healthy series',
    () => {
      const result = promtool(['test', 'rules', RULE_TESTS]);
      expect({ status: result.status, output: result.output.trim() }).toEqual({
        status: 0,
        output: expect.stringMatching(/SUCCESS$/),
      });
    },
  );

  it('defines every required alert, each with a runbook section', () => {
    const rules = ruleExpressions(RULES).map((r) => r.rule);
    for (const alert of REQUIRED_ALERTS) expect([alert, rules.includes(alert)]).toEqual([alert, true]);
    const rulesText = readFileSync(RULES, 'utf8');
    const runbook = readFileSync(RUNBOOK, 'utf8');
    for (const alert of rules) {
      expect([alert, rulesText.includes(`runbook_url: 'docs/operations.md#${alert.toLowerCase()}'`)]).toEqual([
        alert,
        true,
      ]);
      expect([alert, new RegExp(`^### ${alert}$`, 'm').test(runbook)]).toEqual([alert, true]);
    }
  });

  it('reads only metrics a real /metrics serves', async () => {
    const families = new Set((await scrape(t.url)).families.keys());
    const read = ruleExpressions(RULES).flatMap(({ expr }) => metricNames(expr));
    expect(read.length).toBeGreaterThanOrEqual(REQUIRED_ALERTS.length);
    const unknown = ruleExpressions(RULES).flatMap(({ rule, expr }) =>
      metricNames(expr)
        .filter((name) => familyOf(name, families) === undefined)
        .map((name) => `${rule}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
