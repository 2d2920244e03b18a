import { toCplexLp } from './cplex-lp.js';
import type { MilpModel } from './milp-solver.port.js';

describe('toCplexLp', () => {
  const model: MilpModel = {
    variables: [
      { name: 'x_0_0', type: 'integer', lower: 0, upper: 3, cost: 12 },
      { name: 'y_0', type: 'binary', lower: 0, upper: 1, cost: 250 },
      { name: 'z', type: 'continuous', lower: -Infinity, upper: Infinity, cost: 0.5 },
    ],
    constraints: [
      { name: 'demand_0', terms: [{ variable: 'x_0_0', coefficient: 1 }], relation: '=', rhs: 3 },
      {
        name: 'link_0_0',
        terms: [
          { variable: 'x_0_0', coefficient: 1 },
          { variable: 'y_0', coefficient: -3 },
        ],
        relation: '<=',
        rhs: 0,
      },
    ],
  };

  it('writes objective, constraints, bounds and integrality sections', () => {
    expect(toCplexLp(model)).toBe(
      [
        'Minimize',
        ' obj: 12 x_0_0 + 250 y_0 + 0.5 z',
        'Subject To',
        ' demand_0: 1 x_0_0 = 3',
        ' link_0_0: 1 x_0_0 - 3 y_0 <= 0',
        'Bounds',
        ' 0 <= x_0_0 <= 3',
        ' -inf <= z <= +inf',
        'Generals',
        ' x_0_0',
        'Binaries',
        ' y_0',
        'End',
        '',
      ].join('\n'),
    );
  });

  it('continues long sums on indented lines', () => {
    const many: MilpModel = {
      variables: Array.from({ length: 20 }, (_, i) => ({
        name: `v${i}`,
        type: 'integer' as const,
        lower: 0,
        upper: 1,
        cost: 1,
      })),
      constraints: [],
    };
    const objective = toCplexLp(many).split('Subject To')[0]!;
    expect(objective.split('\n').filter((line) => line.startsWith('   ')).length).toBe(2);
    expect(objective.match(/v\d+/g)).toHaveLength(20);
  });

  it('refuses names an LP reader could misparse, unknown variables and non-finite numbers', () => {
    const withVariable = (name: string): MilpModel => ({
      variables: [{ name, type: 'integer', lower: 0, upper: 1, cost: 1 }],
      constraints: [],
    });
    expect(() => toCplexLp(withVariable('e1'))).toThrow(/unsafe/);
    expect(() => toCplexLp(withVariable('1x'))).toThrow(/unsafe/);
    expect(() => toCplexLp(withVariable('a-b'))).toThrow(/unsafe/);
    expect(() =>
      toCplexLp({
        ...model,
        constraints: [{ name: 'c', terms: [{ variable: 'w', coefficient: 1 }], relation: '=', rhs: 1 }],
      }),
    ).toThrow(/undeclared/);
    expect(() => toCplexLp({ ...model, constraints: [{ ...model.constraints[0]!, rhs: Number.NaN }] })).toThrow(
      /non-finite/,
    );
  });
});
