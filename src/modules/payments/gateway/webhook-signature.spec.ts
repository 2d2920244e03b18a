import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from './webhook-signature.js';

const SECRET = 'webhook-secret-for-unit-tests';
const NOW = 1_800_000_000;
const BODY = Buffer.from('{"eventId":"evt-1","amount":100, "currency":"SAR"}', 'utf8');

function hmacHex(payload: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

describe('gateway webhook signature', () => {
  it('signs "<t>.<raw body>" with HMAC-SHA256 as t=<seconds>,v1=<hex>', () => {
    expect(signWebhook(BODY, SECRET, NOW)).toBe(`t=${NOW},v1=${hmacHex(`${NOW}.${BODY.toString('utf8')}`)}`);
    expect(signWebhook(BODY.toString('utf8'), SECRET, NOW)).toBe(signWebhook(BODY, SECRET, NOW));
  });

  it('accepts a signature over the exact raw bytes within the tolerance, either way', () => {
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, NOW), BODY, SECRET, NOW)).toEqual({ valid: true });
    const edge = NOW - WEBHOOK_TOLERANCE_SECONDS;
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, edge), BODY, SECRET, NOW)).toEqual({ valid: true });
    const ahead = NOW + WEBHOOK_TOLERANCE_SECONDS;
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, ahead), BODY, SECRET, NOW)).toEqual({ valid: true });
  });

  it('refuses a timestamp more than the tolerance away as stale, even when correctly signed', () => {
    for (const t of [NOW - WEBHOOK_TOLERANCE_SECONDS - 1, NOW + WEBHOOK_TOLERANCE_SECONDS + 1, 0]) {
      expect(verifyWebhookSignature(signWebhook(BODY, SECRET, t), BODY, SECRET, NOW)).toEqual({
        valid: false,
        failure: 'stale',
      });
    }
  });

  it('refuses a tampered body, a re-serialised body, another secret or another timestamp', () => {
    const header = signWebhook(BODY, SECRET, NOW);
    const tampered = Buffer.from(BODY.toString('utf8').replace('100', '900'), 'utf8');
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8'))), 'utf8');
    expect(verifyWebhookSignature(header, tampered, SECRET, NOW)).toEqual({ valid: false, failure: 'mismatch' });
    expect(verifyWebhookSignature(header, reserialised, SECRET, NOW)).toEqual({ valid: false, failure: 'mismatch' });
    expect(verifyWebhookSignature(header, BODY, 'another-secret-entirely', NOW)).toEqual({
      valid: false,
      failure: 'mismatch',
    });
    const movedTimestamp = header.replace(`t=${NOW}`, `t=${NOW - 1}`);
    expect(verifyWebhookSignature(movedTimestamp, BODY, SECRET, NOW)).toEqual({ valid: false, failure: 'mismatch' });
  });

  it('refuses a missing header or body, and malformed headers', () => {
    expect(verifyWebhookSignature(undefined, BODY, SECRET, NOW)).toEqual({ valid: false, failure: 'missing' });
    expect(verifyWebhookSignature('', BODY, SECRET, NOW)).toEqual({ valid: false, failure: 'missing' });
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, NOW), undefined, SECRET, NOW)).toEqual({
      valid: false,
      failure: 'missing',
    });
    const v1 = hmacHex(`${NOW}.${BODY.toString('utf8')}`);
    const malformed = [
      `v1=${v1}`, // no timestamp
      `t=${NOW}`, // no signature
      `t=${NOW},v1=${v1.slice(2)}`, // short hex
      `t=${NOW},v1=${'z'.repeat(64)}`, // not hex
      `t=abc,v1=${v1}`,
      `t=${NOW},t=${NOW},v1=${v1}`, // two timestamps
      `t=${NOW};v1=${v1}`,
      'garbage',
    ];
    for (const header of malformed) {
      expect(verifyWebhookSignature(header, BODY, SECRET, NOW)).toEqual({ valid: false, failure: 'malformed' });
    }
  });

  it('accepts any matching v1 among several (secret rotation) and ignores other schemes', () => {
    const good = hmacHex(`${NOW}.${BODY.toString('utf8')}`);
    const old = hmacHex(`${NOW}.${BODY.toString('utf8')}`, 'the-previous-secret');
    expect(verifyWebhookSignature(`t=${NOW},v1=${old},v1=${good}`, BODY, SECRET, NOW)).toEqual({ valid: true });
    expect(verifyWebhookSignature(`t=${NOW},v0=whatever,v1=${good}`, BODY, SECRET, NOW)).toEqual({ valid: true });
    expect(verifyWebhookSignature(`t=${NOW},v1=${old}`, BODY, SECRET, NOW)).toEqual({
      valid: false,
      failure: 'mismatch',
    });
  });
});
