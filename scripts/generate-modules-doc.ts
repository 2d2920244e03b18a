/** Writes docs/modules.md from the modules' manifests: `npm run docs:modules`. */
import { writeFileSync } from 'node:fs';
import { eventCatalogue } from '../src/event-catalogue.js';
import { renderModulesDoc } from '../src/outbox/host.js';

writeFileSync(new URL('../docs/modules.md', import.meta.url), renderModulesDoc(eventCatalogue));
process.stdout.write('docs/modules.md written\n');
