import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { type Principal, ROLES, type Role } from './principal.js';

/** Why a bearer token was refused; never echoed beyond a short reason. */
export class InvalidTokenError extends Error {}

const ALGORITHM = 'HS256';
/** How far ahead of this server's clock a token's `iat` may be (the issuer's clock may run fast). */
export const JWT_CLOCK_SKEW_S = 60;

/**
 * Signs and verifies the HS256 bearer tokens of `API.md`. Beyond signature and `exp`, a token must
 * carry `AUTH_JWT_ISSUER`/`AUTH_JWT_AUDIENCE` when they are set, must not be issued in the future,
 * and must not live longer than `AUTH_JWT_MAX_LIFETIME_S`, so a leaked signing secret or a
 * careless issuer cannot mint tokens that stay valid for years.
 */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  private readonly issuer: string | undefined;
  private readonly audience: string | undefined;
  private readonly maxLifetimeS: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // A ready KeyObject: given a string, jsonwebtoken tries to parse it as a PEM public key and
    // then builds a secret key on every verify, which showed up as ~11% of the API's CPU.
    this.jwt = new JwtService({ secret: createSecretKey(Buffer.from(config.authJwtSecret, 'utf8')) });
    this.issuer = config.authJwtIssuer;
    this.audience = config.authJwtAudience;
    this.maxLifetimeS = config.authJwtMaxLifetimeS;
  }

  /** Signs a token for `principal`; a lifetime over `AUTH_JWT_MAX_LIFETIME_S` would be refused, so it throws. */
  sign(principal: Principal, expiresInSeconds = 3600): string {
    if (expiresInSeconds > this.maxLifetimeS) {
      throw new RangeError(`a token may live at most ${this.maxLifetimeS} s (AUTH_JWT_MAX_LIFETIME_S)`);
    }
    return this.jwt.sign(
      { roles: principal.roles },
      {
        subject: principal.sub,
        expiresIn: expiresInSeconds,
        algorithm: ALGORITHM,
        ...(this.issuer === undefined ? {} : { issuer: this.issuer }),
        ...(this.audience === undefined ? {} : { audience: this.audience }),
      },
    );
  }

  async verify(token: string): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      // Pinning the algorithm refuses `alg: none` and algorithm-confusion tokens.
      claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        algorithms: [ALGORITHM],
        ...(this.issuer === undefined ? {} : { issuer: this.issuer }),
        ...(this.audience === undefined ? {} : { audience: this.audience }),
      });
    } catch (error) {
      throw new InvalidTokenError((error as Error).name === 'TokenExpiredError' ? 'token expired' : 'invalid token');
    }
    if (typeof claims.exp !== 'number') throw new InvalidTokenError('token has no expiry');
    this.checkLifetime(claims.exp, claims.iat);
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('token has no subject');
    const roles = claims.roles;
    if (!Array.isArray(roles) || !roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
      throw new InvalidTokenError('token roles are invalid');
    }
    return { sub: claims.sub, roles: roles as Role[] };
  }

  /**
   * `iat` is optional in the contract (`API.md` requires only `exp`): without it, the remaining
   * lifetime (`exp - now`) is what must fit the limit, which bounds such a token just as tightly.
   */
  private checkLifetime(exp: number, iat: unknown): void {
    const now = Math.floor(Date.now() / 1000);
    if (iat !== undefined) {
      if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidTokenError('token iat is invalid');
      if (iat > now + JWT_CLOCK_SKEW_S) throw new InvalidTokenError('token issued in the future');
    }
    const issuedAt = typeof iat === 'number' ? iat : now;
    if (exp - issuedAt > this.maxLifetimeS) throw new InvalidTokenError('token lifetime too long');
  }
}
