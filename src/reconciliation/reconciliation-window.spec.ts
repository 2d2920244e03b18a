import { findingKey, windowAt } from './reconciliation-window.js';

const MINUTE = 60_000;

describe('windowAt', () => {
  it('gives every instant of one schedule slot the same window, ending where the slot ends', () => {
    const early = windowAt(new Date('2026-05-01T10:07:00.000Z'), MINUTE);
    const late = windowAt(new Date('2026-05-01T10:07:59.999Z'), MINUTE);
    expect(early).toEqual(late);
    expect(early).toEqual({ from: new Date('2026-05-01T10:07:00.000Z'), to: new Date('2026-05-01T10:08:00.000Z') });
  });

  it('moves to the next window in the next slot', () => {
    expect(windowAt(new Date('2026-05-01T10:08:00.000Z'), MINUTE).from).toEqual(new Date('2026-05-01T10:08:00.000Z'));
  });

  it('looks windowMs back from the end of the slot', () => {
    expect(windowAt(new Date('2026-05-01T10:07:30.000Z'), MINUTE, 60 * MINUTE)).toEqual({
      from: new Date('2026-05-01T09:08:00.000Z'),
      to: new Date('2026-05-01T10:08:00.000Z'),
    });
  });

  it('refuses intervals that are not positive integers', () => {
    expect(() => windowAt(new Date(), 0)).toThrow(/everyMs/);
    expect(() => windowAt(new Date(), MINUTE, 1.5)).toThrow(/windowMs/);
  });
});

describe('findingKey', () => {
  const window = windowAt(new Date('2026-05-01T10:07:30.000Z'), MINUTE);

  it('is the same for the same reconciler, rules version, window and subject', () => {
    expect(findingKey('r', 1, window, 'citizen:c-1')).toBe(findingKey('r', 1, { ...window }, 'citizen:c-1'));
    expect(findingKey('r', 1, window, 'citizen:c-1')).toBe(
      'r|v1|2026-05-01T10:07:00.000Z|2026-05-01T10:08:00.000Z|citizen:c-1',
    );
  });

  it('differs when any of them differs', () => {
    const key = findingKey('r', 1, window, 's');
    expect(findingKey('other', 1, window, 's')).not.toBe(key);
    expect(findingKey('r', 2, window, 's')).not.toBe(key);
    expect(findingKey('r', 1, windowAt(new Date('2026-05-01T10:08:30.000Z'), MINUTE), 's')).not.toBe(key);
    expect(findingKey('r', 1, window, 's2')).not.toBe(key);
  });
});
