import { isOwner, type Principal, principalScope } from './principal.js';

describe('identity is (role, subject)', () => {
  const citizen: Principal = { sub: 'x-1', roles: ['citizen'] };
  const customer: Principal = { sub: 'x-1', roles: ['customer'] };

  it('makes a subject the owner only under the role the object kind names', () => {
    expect(isOwner(citizen, 'citizen', 'x-1')).toBe(true);
    expect(isOwner(customer, 'citizen', 'x-1')).toBe(false);
    expect(isOwner(citizen, 'customer', 'x-1')).toBe(false);
    expect(isOwner(customer, 'customer', 'x-1')).toBe(true);
    expect(isOwner(citizen, 'citizen', 'x-2')).toBe(false);
    expect(isOwner({ sub: 'x-1', roles: ['admin', 'service'] }, 'citizen', 'x-1')).toBe(false);
  });

  it('scopes by roles and subject: the same subject under other roles is another scope', () => {
    expect(principalScope(citizen)).toBe('citizen:x-1');
    expect(principalScope(customer)).toBe('customer:x-1');
    expect(principalScope({ sub: 'x-1', roles: ['customer', 'citizen', 'customer'] })).toBe('citizen,customer:x-1');
    // A subject with ':' cannot pass for another role list: roles never contain ':'.
    expect(principalScope({ sub: 'customer:x', roles: ['citizen'] })).not.toBe(
      principalScope({ sub: 'x', roles: ['citizen', 'customer'] }),
    );
  });
});
