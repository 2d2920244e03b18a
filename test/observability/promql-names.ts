import { readFileSync } from 'node:fs';

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, aggregation
 * modifiers, keywords or label names. Enough for the expressions of this repository's dashboard and
 * rules (checked by hand against them), not a full PromQL parser.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\w+/g, ' '); // Grafana variables ($__rate_interval)
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const after = stripped.slice(match.index + name.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    const before = stripped.slice(0, match.index);
    if (/[0-9.]$/.test(before) || /^[0-9]/.test(name)) continue; // 5m, 1e3
    names.add(name);
  }
  return [...names];
}

/** The family a sample name belongs to (histogram and summary series carry suffixes). */
export function familyOf(name: string, families: ReadonlySet<string>): string | undefined {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return families.has(base) ? base : undefined;
}

/** The `expr:` of every rule in a Prometheus rules file (one-line or `|` block). */
export function ruleExpressions(path: string): Array<{ rule: string; expr: string }> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const found: Array<{ rule: string; expr: string }> = [];
  let rule = '';
  for (let i = 0; i < lines.length; i++) {
    const named = /^\s*- (?:alert|record): (\S+)/.exec(lines[i]);
    if (named) rule = named[1];
    const expr = /^(\s*)expr: (.*)$/.exec(lines[i]);
    if (!expr) continue;
    if (expr[2].trim() !== '|') {
      found.push({ rule, expr: expr[2] });
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > expr[1].length)) {
      block.push(lines[++i]);
    }
    found.push({ rule, expr: block.join('\n') });
  }
  return found;
}
