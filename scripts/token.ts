/**
 * Prints a bearer token signed with the configured AUTH_JWT_SECRET (with AUTH_JWT_ISSUER and
 * AUTH_JWT_AUDIENCE when set), for local use:
 *   npm run token -- --sub citizen-1 --roles citizen
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { ROLES, type Role } from '../src/platform/auth/principal.js';
import { TokenService } from '../src/platform/auth/token.service.js';

const usage = 'usage: npm run token -- --sub <id> --roles <role1,role2> [--expires-in <seconds>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    roles: { type: 'string' },
    'expires-in': { type: 'string', default: '3600' },
  },
});
if (!values.sub) fail('--sub is required');
const roles = (values.roles ?? '').split(',').filter((r) => r !== '');
const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
if (roles.length === 0 || unknown.length > 0) fail(`--roles must list some of: ${ROLES.join(', ')}`);
const expiresIn = Number(values['expires-in']);
if (!Number.isInteger(expiresIn) || expiresIn < 1) fail('--expires-in must be a positive number of seconds');

let tokens: TokenService;
try {
  const config = loadConfig();
  if (expiresIn > config.authJwtMaxLifetimeS) {
    fail(`--expires-in must be at most ${config.authJwtMaxLifetimeS} seconds (AUTH_JWT_MAX_LIFETIME_S)`);
  }
  tokens = new TokenService(config);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
process.stdout.write(`${tokens.sign({ sub: values.sub, roles: roles as Role[] }, expiresIn)}\n`);
