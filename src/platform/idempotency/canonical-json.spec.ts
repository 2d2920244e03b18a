import { canonicalJson, requestFingerprint } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts object keys recursively, inside arrays too, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1}',
    );
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
  });

  it('gives the same text for bodies that differ only in key order', () => {
    const one = JSON.parse('{"amount":100,"meta":{"x":[1,{"q":1,"p":2}],"a":"b"},"currency":"SAR"}');
    const other = JSON.parse('{"currency":"SAR","meta":{"a":"b","x":[1,{"p":2,"q":1}]},"amount":100}');
    expect(canonicalJson(one)).toBe(canonicalJson(other));
  });

  it('orders keys by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ b: 0, B: 0, a: 0, é: 0, '1': 0 })).toBe('{"1":0,"B":0,"a":0,"b":0,"é":0}');
  });

  it('serialises scalars as JSON.stringify does, without whitespace', () => {
    expect(canonicalJson('a"b\\c\n')).toBe(JSON.stringify('a"b\\c\n'));
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson({ a: [1, 'x', false] })).toBe('{"a":[1,"x",false]}');
  });

  it('follows JSON.stringify for values JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: () => 1, c: Symbol('s'), d: 1 })).toBe('{"d":1}');
    expect(canonicalJson([undefined, () => 1, NaN, Infinity])).toBe('[null,null,null,null]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('honours toJSON (dates, class instances)', () => {
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.000Z') })).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
    class Dto {
      constructor(
        readonly z: number,
        readonly a: number,
      ) {}
    }
    expect(canonicalJson(new Dto(1, 2))).toBe('{"a":2,"z":1}');
  });

  it('accepts a shared (non-circular) reference and rejects a circular one or a BigInt', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => canonicalJson(circular)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('requestFingerprint', () => {
  const base = { method: 'POST', path: '/v1/payments', body: { amount: 100, currency: 'SAR' } };

  it('is a SHA-256 hex digest', () => {
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order or on the case of the method', () => {
    expect(requestFingerprint({ ...base, method: 'post', body: { currency: 'SAR', amount: 100 } })).toBe(
      requestFingerprint(base),
    );
  });

  it('changes with the method, the path or any part of the body', () => {
    const fingerprint = requestFingerprint(base);
    expect(requestFingerprint({ ...base, method: 'PUT' })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, path: '/v1/orders' })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, body: { amount: 101, currency: 'SAR' } })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, body: { amount: '100', currency: 'SAR' } })).not.toBe(fingerprint);
    expect(requestFingerprint({ ...base, body: { amount: 100, currency: 'SAR', extra: null } })).not.toBe(fingerprint);
  });

  it('cannot be imitated by moving text between the path and the body', () => {
    expect(requestFingerprint({ method: 'POST', path: '/a', body: 'b' })).not.toBe(
      requestFingerprint({ method: 'POST', path: '/a","b', body: null }),
    );
  });

  it('treats a missing body as null', () => {
    expect(requestFingerprint({ ...base, body: undefined })).toBe(requestFingerprint({ ...base, body: null }));
  });
});
