import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY } from './access.decorators.js';
import type { AuthenticatedRequest } from './authentication.middleware.js';
import { hasAnyRole, type Role } from './principal.js';

/** Every route needs a valid token unless marked {@link Public}; {@link Roles} narrows who may call it. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.principal) {
      throw new UnauthorizedException(
        request.authFailure ? `Authentication failed: ${request.authFailure}.` : 'A bearer token is required.',
      );
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !hasAnyRole(request.principal, roles)) {
      throw new ForbiddenException(`This route requires one of the roles: ${roles.join(', ')}.`);
    }
    return true;
  }
}
