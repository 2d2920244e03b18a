import { assertBalanced, reversed, UnbalancedPostingError } from './posting.js';

describe('postings', () => {
  const base = { source: 'e-1', kind: 'payment', currency: 'SAR' };

  it('accept balanced legs on distinct accounts', () => {
    expect(() =>
      assertBalanced({
        ...base,
        legs: [
          { account: 'a', amount: 500 },
          { account: 'b', amount: -500 },
        ],
      }),
    ).not.toThrow();
  });

  it('refuse unbalanced, fractional, zero, repeated or single legs', () => {
    const bad = [
      [
        { account: 'a', amount: 500 },
        { account: 'b', amount: -400 },
      ],
      [
        { account: 'a', amount: 1.5 },
        { account: 'b', amount: -1.5 },
      ],
      [
        { account: 'a', amount: 0 },
        { account: 'b', amount: 0 },
      ],
      [
        { account: 'a', amount: 5 },
        { account: 'a', amount: -5 },
      ],
      [{ account: 'a', amount: 5 }],
    ];
    for (const legs of bad) expect(() => assertBalanced({ ...base, legs })).toThrow(UnbalancedPostingError);
  });

  it('reverse legs by negating them', () => {
    expect(
      reversed([
        { account: 'a', amount: 5 },
        { account: 'b', amount: -5 },
      ]),
    ).toEqual([
      { account: 'a', amount: -5 },
      { account: 'b', amount: 5 },
    ]);
  });
});
