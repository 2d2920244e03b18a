/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`, run against the compiled build).
 * Entities are globbed from the build because the CLI has no Nest module graph to collect them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/index.js';
import { typeOrmOptions } from './typeorm-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export default new DataSource({
  ...typeOrmOptions(loadConfig(), 'direct'),
  entities: [join(root, '**/*.entity.js')],
});
