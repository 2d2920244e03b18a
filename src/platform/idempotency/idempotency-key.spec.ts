import { ProblemException } from '../http/problem.js';
import { parseIdempotencyKey } from './idempotency-key.js';

function problemOf(value: unknown): { status: number; type: string } {
  try {
    parseIdempotencyKey(value);
  } catch (error) {
    if (error instanceof ProblemException) return { status: error.getStatus(), type: error.toProblem().type };
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('parseIdempotencyKey', () => {
  it('accepts 1 to 255 printable ASCII characters, space and tilde included', () => {
    for (const key of ['a', 'x'.repeat(255), ' a b ', '~!"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}', uuidLike()]) {
      expect(parseIdempotencyKey(key)).toBe(key);
    }
  });

  it('answers a missing header with 400 idempotency-key-required', () => {
    expect(problemOf(undefined)).toEqual({ status: 400, type: '/problems/idempotency-key-required' });
    expect(problemOf(null)).toEqual({ status: 400, type: '/problems/idempotency-key-required' });
  });

  it('answers an empty, too long or non-printable key with 400 idempotency-key-invalid', () => {
    const invalid = [
      '',
      'x'.repeat(256),
      'x'.repeat(300),
      'clé',
      'a\tb',
      'a\nb',
      'a\u0000',
      'a\u007f',
      '🔑',
      ['a', 'b'],
      7,
    ];
    for (const value of invalid) {
      expect(problemOf(value)).toEqual({ status: 400, type: '/problems/idempotency-key-invalid' });
    }
  });
});

function uuidLike(): string {
  return '0190f5b2-7c3e-7a1b-9c4d-2e5f6a7b8c9d';
}
