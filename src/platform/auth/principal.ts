/** The roles a token may carry (`API.md`, "Auth"). */
export const ROLES = ['citizen', 'customer', 'service', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the token's subject and roles. */
export interface Principal {
  /** The citizen or customer id for those roles; an opaque id otherwise. */
  sub: string;
  roles: Role[];
}

/** Whether `principal` has any of `roles`. */
export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((role) => roles.includes(role));
}

/** The roles whose subject is an owner's id: citizens own debts and applications, customers own orders. */
export type OwnerRole = Extract<Role, 'citizen' | 'customer'>;

/**
 * Whether `principal` is owner `ownerId` of the kind `ownerRole` names. Identity is (role, subject):
 * a customer whose id equals a citizen's id owns nothing of the citizen's, and vice versa
 * (docs/adr/0022-identity-is-role-and-subject.md). Admin and service access are the caller's to add.
 */
export function isOwner(principal: Principal, ownerRole: OwnerRole, ownerId: string): boolean {
  return principal.roles.includes(ownerRole) && principal.sub === ownerId;
}

/**
 * The principal as one string, for scoping what belongs to a caller (idempotency keys): its
 * distinct roles, sorted, then `:` and the subject. Roles never contain `:`, so the first `:`
 * separates them; the same subject under other roles is another scope.
 */
export function principalScope(principal: Principal): string {
  return `${[...new Set(principal.roles)].sort().join(',')}:${principal.sub}`;
}
