import type { MilpModel, MilpTerm } from './milp-solver.port.js';

const SAFE_NAME = /^(?![eE])[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes `model` in the CPLEX LP text format (read by HiGHS, GLPK, CPLEX, Gurobi, SCIP…) as a
 * minimisation. Pure text; no solver involved. Throws a `RangeError` for an unsafe name, a non-finite
 * coefficient, or a reference to an undeclared variable.
 */
export function toCplexLp(model: MilpModel): string {
  const declared = new Set<string>();
  for (const variable of model.variables) {
    assertName(variable.name);
    if (declared.has(variable.name)) throw new RangeError(`duplicate variable ${variable.name}`);
    declared.add(variable.name);
  }
  const objective = model.variables.map((variable) => ({ variable: variable.name, coefficient: variable.cost }));
  const lines = ['Minimize', ` obj: ${expression(objective, declared)}`, 'Subject To'];
  for (const constraint of model.constraints) {
    assertName(constraint.name);
    lines.push(
      ` ${constraint.name}: ${expression(constraint.terms, declared)} ${constraint.relation} ${num(constraint.rhs)}`,
    );
  }
  lines.push('Bounds');
  for (const variable of model.variables) {
    if (variable.type === 'binary') continue;
    const lower = variable.lower === -Infinity ? '-inf' : num(variable.lower);
    const upper = variable.upper === Infinity ? '+inf' : num(variable.upper);
    lines.push(` ${lower} <= ${variable.name} <= ${upper}`);
  }
  const generals = model.variables.filter((variable) => variable.type === 'integer').map((variable) => variable.name);
  const binaries = model.variables.filter((variable) => variable.type === 'binary').map((variable) => variable.name);
  if (generals.length > 0) lines.push('Generals', ...wrap(generals));
  if (binaries.length > 0) lines.push('Binaries', ...wrap(binaries));
  lines.push('End', '');
  return lines.join('\n');
}

function expression(terms: readonly MilpTerm[], declared: ReadonlySet<string>): string {
  // An empty sum is written as `0 v` for some declared variable; the format has no bare constants on the left.
  if (terms.length === 0) {
    const [any] = declared;
    if (any === undefined) throw new RangeError('a model needs at least one variable');
    return `0 ${any}`;
  }
  const parts = terms.map((term, index) => {
    if (!declared.has(term.variable)) throw new RangeError(`undeclared variable ${term.variable}`);
    const sign = term.coefficient < 0 ? '-' : index === 0 ? '' : '+';
    return `${sign}${sign ? ' ' : ''}${num(Math.abs(term.coefficient))} ${term.variable}`;
  });
  // Long sums continue on indented lines: LP readers limit line length.
  return wrap(parts, 8)
    .map((chunk) => chunk.trim())
    .join('\n   ');
}

function wrap(items: readonly string[], perLine = 16): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < items.length; i += perLine) chunks.push(` ${items.slice(i, i + perLine).join(' ')}`);
  return chunks;
}

function num(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`non-finite coefficient ${value}`);
  return String(value);
}

function assertName(name: string): void {
  if (!SAFE_NAME.test(name)) throw new RangeError(`unsafe LP name ${JSON.stringify(name)}`);
}
