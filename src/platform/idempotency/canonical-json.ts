import { createHash } from 'node:crypto';

/**
 * Serialises `value` as JSON with every object's keys sorted (by UTF-16 code units, recursively)
 * and no whitespace, so two bodies that differ only in key order give the same text. Otherwise it
 * follows `JSON.stringify`: `toJSON()` is honoured, `undefined`, functions and symbols are left out
 * of objects and become `null` in arrays, non-finite numbers become `null`. For data parsed from
 * JSON the result is the RFC 8785 (JCS) form. A top-level value JSON cannot hold gives `null`.
 * @throws TypeError on a circular structure or a BigInt.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, new Set()) ?? 'null';
}

function serialise(input: unknown, ancestors: Set<object>): string | undefined {
  const value = hasToJson(input) ? input.toJSON() : input;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a BigInt has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) throw new TypeError('canonicalJson: circular structure');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return `[${object.map((item) => serialise(item, ancestors) ?? 'null').join(',')}]`;
    const members: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const member = serialise((object as Record<string, unknown>)[key], ancestors);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** What makes two requests "the same request" for an idempotency key. */
export interface FingerprintSource {
  method: string;
  path: string;
  body: unknown;
}

/**
 * SHA-256 (hex) of the method (upper-cased), the path and the canonical JSON body. The three are
 * hashed as one canonical JSON array, so no choice of path or body can imitate another split.
 * A missing body counts as `null`.
 */
export function requestFingerprint({ method, path, body }: FingerprintSource): string {
  return createHash('sha256')
    .update(canonicalJson([method.toUpperCase(), path, body ?? null]))
    .digest('hex');
}
