import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from './principal.js';
import { InvalidTokenError, TokenService } from './token.service.js';

/** A request after authentication: a principal, the reason a token was refused, or neither. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
  authFailure?: string;
}

/**
 * Reads the bearer token before guards run, so rate limits can key on the principal. It only
 * records the outcome; the access guard decides whether the route may proceed.
 */
@Injectable()
export class AuthenticationMiddleware implements NestMiddleware {
  constructor(private readonly tokens: TokenService) {}

  async use(request: AuthenticatedRequest, _response: Response, next: NextFunction): Promise<void> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer ([^\s]+)$/i.exec(header);
      if (!match) {
        request.authFailure = 'malformed authorization header';
      } else {
        try {
          request.principal = await this.tokens.verify(match[1]);
        } catch (error) {
          if (!(error instanceof InvalidTokenError)) throw error;
          request.authFailure = error.message;
        }
      }
    }
    next();
  }
}
