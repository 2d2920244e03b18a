/**
 * The typed client the demo uses (`scripts/api/`) is generated from the OpenAPI document the app
 * serves (`openapi-typescript`), and committed. This test fails when the committed types differ from
 * what the running app's document generates (`npm run api:types` rewrites them), and `tsc` fails
 * when the demo uses a route, parameter or field the document no longer has: a drift between code
 * and document fails the build.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { renderApiTypes } from '../../scripts/api/render-api-types.js';
import { useTestApp } from '../support/scenario.js';

const TYPES = join(process.cwd(), 'scripts', 'api', 'openapi.ts');

describe('the typed API client (scripts/api/openapi.ts)', () => {
  const t = useTestApp();

  it('is generated from the document the app serves (UPDATE_API_TYPES=1 rewrites it: npm run api:types)', async () => {
    const res = await request(t.url).get('/docs-json');
    expect(res.status).toBe(200);
    const generated = await renderApiTypes(res.body);
    const committed = readFileSync(TYPES, 'utf8');
    if (process.env.UPDATE_API_TYPES === '1' && committed !== generated) {
      writeFileSync(TYPES, generated);
      return;
    }
    expect(committed).toBe(generated);
  });
});
