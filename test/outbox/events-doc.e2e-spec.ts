import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventCatalogue } from '../../src/event-catalogue.js';
import { renderEventsDoc } from '../../src/outbox/host.js';

describe('docs/events.md', () => {
  it('matches the catalogue in code (run `npm run docs:events` after changing an event)', () => {
    const committed = readFileSync(join(process.cwd(), 'docs', 'events.md'), 'utf8');
    expect(committed).toBe(renderEventsDoc(eventCatalogue));
  });
});

describe('renderEventsDoc', () => {
  it('lists every contract with its version, owner, payload fields and subscribers', async () => {
    const { outboxTestSetup } = await import('../support/outbox-fixtures.js');
    const doc = renderEventsDoc(outboxTestSetup().catalogue);
    expect(doc).toContain(
      '| `testing.thing-happened` | 1 | testing | thing | key, n | testing.recorder (critical)<br>testing.ordered-recorder (default, ordered) | test event |',
    );
    expect(doc).toContain('| `testing.thing-observed` | 1 | testing | thing | key, n | testing.bulk-recorder (bulk) |');
  });
});
