import { clientAddressTracker, principalTracker } from './principal-throttler.guard.js';

describe('rate-limit trackers', () => {
  it('names a principal by its sorted roles and its subject, so one subject in two roles has two budgets', () => {
    expect(principalTracker({ sub: 'c-1', roles: ['customer'] })).toBe('principal-customer-c-1');
    expect(principalTracker({ sub: 'c-1', roles: ['citizen'] })).toBe('principal-citizen-c-1');
    expect(principalTracker({ sub: 'ops', roles: ['service', 'admin'] })).toBe(
      principalTracker({ sub: 'ops', roles: ['admin', 'service'] }),
    );
  });

  it('keeps an IPv4 address whole, also when it arrives IPv4-mapped', () => {
    expect(clientAddressTracker('203.0.113.7')).toBe('ip-203.0.113.7');
    expect(clientAddressTracker('::ffff:203.0.113.7')).toBe('ip-203.0.113.7');
    expect(clientAddressTracker('203.0.113.8')).not.toBe(clientAddressTracker('203.0.113.7'));
  });

  it('groups IPv6 clients by /64', () => {
    const a = clientAddressTracker('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(a).toBe('ip-2001:db8:1:2::/64');
    expect(clientAddressTracker('2001:db8:1:2::1')).toBe(a);
    expect(clientAddressTracker('2001:DB8:1:2:ffff::9')).toBe(a);
    expect(clientAddressTracker('2001:db8:1:3::1')).not.toBe(a);
  });

  it('counts a request without an address under one shared key', () => {
    expect(clientAddressTracker(undefined)).toBe('ip-unknown');
  });
});
