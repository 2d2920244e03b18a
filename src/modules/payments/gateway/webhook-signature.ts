import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header carrying the gateway's webhook signature. */
export const WEBHOOK_SIGNATURE_HEADER = 'X-Gateway-Signature';

/** How far, in seconds, a signature's timestamp may be from now (either way). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Why a signature was refused; never shown to the caller beyond "invalid signature". */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck = { valid: true } | { valid: false; failure: SignatureFailure };

/** HMAC-SHA256 of `"<t>.<raw body>"`, the bytes exactly as received. */
function digest(secret: string, timestamp: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * The header value a gateway sends: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * (API.md, gateway webhook). Used by tests and by simulators posting webhooks.
 */
export function signWebhook(rawBody: Buffer | string, secret: string, timestampSeconds: number): string {
  const t = String(Math.trunc(timestampSeconds));
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `t=${t},v1=${digest(secret, t, body).toString('hex')}`;
}

/**
 * Verifies a webhook signature over the RAW body bytes (never re-serialised JSON): the header must
 * hold one `t` (unix seconds within `toleranceSeconds` of `nowSeconds`) and at least one `v1` equal
 * to the HMAC, compared in constant time. Several `v1` are accepted so the secret can be rotated.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  rawBody: Buffer | undefined,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): SignatureCheck {
  if (header === undefined || header === '' || rawBody === undefined) return { valid: false, failure: 'missing' };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return { valid: false, failure: 'malformed' };
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { valid: false, failure: 'malformed' };
      timestamp = value;
    } else if (name === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return { valid: false, failure: 'malformed' };
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, future versions) are ignored, as gateways document.
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, failure: 'malformed' };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { valid: false, failure: 'stale' };

  const expected = digest(secret, timestamp, rawBody);
  // Every candidate is compared (no early exit), each in constant time; lengths are equal by the pattern.
  let matched = false;
  for (const signature of signatures) matched = timingSafeEqual(signature, expected) || matched;
  return matched ? { valid: true } : { valid: false, failure: 'mismatch' };
}
