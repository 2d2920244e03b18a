export { AccessGuard } from './access.guard.js';
export { CurrentPrincipal, Public, Roles } from './access.decorators.js';
export { AuthModule } from './auth.module.js';
export type { AuthenticatedRequest } from './authentication.middleware.js';
export { hasAnyRole, isOwner, principalScope, ROLES } from './principal.js';
export type { OwnerRole, Principal, Role } from './principal.js';
export { InvalidTokenError, TokenService } from './token.service.js';
export { constantTimeEqual } from './constant-time.js';
