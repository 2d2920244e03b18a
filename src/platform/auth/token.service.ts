import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { type Principal, ROLES, type Role } from './principal.js';

/** Why a bearer token was refused; never echoed beyond a short reason. */
export class InvalidTokenError extends Error {}

const ALGORITHM = 'HS256';

/** Signs and verifies the HS256 bearer tokens of `API.md`. */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.jwt = new JwtService({ secret: config.authJwtSecret });
  }

  sign(principal: Principal, expiresInSeconds = 3600): string {
    return this.jwt.sign(
      { roles: principal.roles },
      { subject: principal.sub, expiresIn: expiresInSeconds, algorithm: ALGORITHM },
    );
  }

  async verify(token: string): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      // Pinning the algorithm refuses `alg: none` and algorithm-confusion tokens.
      claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, { algorithms: [ALGORITHM] });
    } catch (error) {
      throw new InvalidTokenError((error as Error).name === 'TokenExpiredError' ? 'token expired' : 'invalid token');
    }
    if (typeof claims.exp !== 'number') throw new InvalidTokenError('token has no expiry');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('token has no subject');
    const roles = claims.roles;
    if (!Array.isArray(roles) || !roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
      throw new InvalidTokenError('token roles are invalid');
    }
    return { sub: claims.sub, roles: roles as Role[] };
  }
}
