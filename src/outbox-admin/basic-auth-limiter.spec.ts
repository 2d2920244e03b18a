import { BasicAuthLimiter, clientKey } from './basic-auth-limiter.js';

describe('BasicAuthLimiter', () => {
  it('lets a client fail N times a minute, then tells it when to retry', () => {
    let now = 1_000_000;
    const limiter = new BasicAuthLimiter(3, () => now);
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
      limiter.recordFailure('10.0.0.1');
    }
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 45_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(15);
    now += 14_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });

  it('stays bounded when a flood of addresses fails once each', () => {
    const limiter = new BasicAuthLimiter(1, () => 0);
    for (let i = 0; i < 10_050; i += 1) limiter.recordFailure(`client-${i}`);
    const windows = (limiter as unknown as { windows: Map<string, unknown> }).windows;
    expect(windows.size).toBeLessThanOrEqual(10_000);
    expect(limiter.retryAfterSeconds('client-10049')).toBe(60);
  });
});

describe('clientKey', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6 ones', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey(undefined)).toBe('unknown');
  });

  it('groups IPv6 addresses by /64, whatever their spelling', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
