/** Writes docs/events.md from the event catalogue: `npm run docs:events`. */
import { writeFileSync } from 'node:fs';
import { eventCatalogue } from '../src/event-catalogue.js';
import { renderEventsDoc } from '../src/outbox/host.js';

writeFileSync(new URL('../docs/events.md', import.meta.url), renderEventsDoc(eventCatalogue));
process.stdout.write('docs/events.md written\n');
