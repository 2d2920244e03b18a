import { createHmac } from 'node:crypto';
import type { AppConfig } from '../../config/index.js';
import { InvalidTokenError, TokenService } from './token.service.js';

const SECRET = 'unit-test-jwt-secret-0123456789-abcdef';
const now = () => Math.floor(Date.now() / 1000);

function service(overrides: Partial<AppConfig> = {}): TokenService {
  return new TokenService({
    authJwtSecret: SECRET,
    authJwtIssuer: undefined,
    authJwtAudience: undefined,
    authJwtMaxLifetimeS: 86_400,
    ...overrides,
  } as AppConfig);
}

/** Signed by hand, to send claims TokenService.sign would never produce. */
function handMade(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'c-1', roles: ['citizen'], ...claims })}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

async function refusal(tokens: TokenService, token: string): Promise<string> {
  const error = await tokens.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as Error).message;
}

describe('TokenService', () => {
  it('verifies what it signs, with no issuer or audience configured', async () => {
    const tokens = service();
    await expect(tokens.verify(tokens.sign({ sub: 'c-1', roles: ['citizen'] }))).resolves.toEqual({
      sub: 'c-1',
      roles: ['citizen'],
    });
    await expect(tokens.verify(handMade({ exp: now() + 60 }))).resolves.toEqual({ sub: 'c-1', roles: ['citizen'] });
  });

  it('puts the configured issuer and audience in its tokens and requires them', async () => {
    const tokens = service({ authJwtIssuer: 'https://idp.example', authJwtAudience: 'debts-hub' });
    const signed = tokens.sign({ sub: 'a', roles: ['admin'] });
    const claims = JSON.parse(Buffer.from(signed.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'https://idp.example', aud: 'debts-hub', sub: 'a' });
    await expect(tokens.verify(signed)).resolves.toEqual({ sub: 'a', roles: ['admin'] });

    const exp = now() + 60;
    await refusal(tokens, handMade({ exp }));
    await refusal(tokens, handMade({ exp, iss: 'https://evil.example', aud: 'debts-hub' }));
    await refusal(tokens, handMade({ exp, iss: 'https://idp.example', aud: 'other-app' }));
    await expect(tokens.verify(handMade({ exp, iss: 'https://idp.example', aud: 'debts-hub' }))).resolves.toBeDefined();
  });

  it('refuses a token issued in the future beyond the allowed skew', async () => {
    const tokens = service();
    expect(await refusal(tokens, handMade({ iat: now() + 120, exp: now() + 600 }))).toBe('token issued in the future');
    await expect(tokens.verify(handMade({ iat: now() + 30, exp: now() + 600 }))).resolves.toBeDefined();
  });

  it('refuses a lifetime longer than AUTH_JWT_MAX_LIFETIME_S, measured from iat or, without it, from now', async () => {
    const tokens = service({ authJwtMaxLifetimeS: 3600 });
    const iat = now() - 10;
    expect(await refusal(tokens, handMade({ iat, exp: iat + 3601 }))).toBe('token lifetime too long');
    await expect(tokens.verify(handMade({ iat, exp: iat + 3600 }))).resolves.toBeDefined();
    expect(await refusal(tokens, handMade({ exp: now() + 7200 }))).toBe('token lifetime too long');
    await expect(tokens.verify(handMade({ exp: now() + 1800 }))).resolves.toBeDefined();
    expect(await refusal(tokens, handMade({ iat: 'yesterday', exp: now() + 60 }))).toMatch(/invalid/);
  });

  it('will not sign a token it would refuse', () => {
    expect(() => service({ authJwtMaxLifetimeS: 3600 }).sign({ sub: 'c', roles: ['citizen'] }, 3601)).toThrow(
      /AUTH_JWT_MAX_LIFETIME_S/,
    );
  });
});
