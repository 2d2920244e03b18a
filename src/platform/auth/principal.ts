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
