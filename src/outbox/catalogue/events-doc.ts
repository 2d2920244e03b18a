import type { EventCatalogue } from './event-catalogue.js';
import { payloadFields } from './event-contract.js';
import { describeFilter } from './subscription.js';

/** Renders `docs/events.md` from the catalogue; a test fails when the committed file differs. */
export function renderEventsDoc(catalogue: EventCatalogue): string {
  const lines = [
    '# Event catalogue',
    '',
    'Generated from the catalogue in code (`src/event-catalogue.ts`) by `npm run docs:events`; do not edit by hand.',
    '',
    '| type | version | owner | aggregate | payload fields | subscribers (lane) | description |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const contract of catalogue.allContracts()) {
    const subscribers = catalogue
      .routes()
      .filter((r) => r.stored === contract)
      .map(({ subscription: s, handled }) => {
        const upcast = handled === contract ? '' : `; upcast to v${handled.version}`;
        return `${s.name} (${s.lane}${s.ordered ? ', ordered' : ''}${s.filter ? `; only ${describeFilter(s.filter)}` : ''}${upcast})`;
      })
      .concat(catalogue.retiredSubscribersOf(contract).map((s) => `${s.name} (retired: ${s.retired})`))
      .join('<br>');
    lines.push(
      `| \`${contract.type}\` | ${contract.version} | ${contract.owner} | ${contract.aggregateType} | ${payloadFields(contract).join(', ')} | ${subscribers || '—'} | ${contract.description} |`,
    );
  }
  if (catalogue.allContracts().length === 0) lines.push('| — | | | | | | no events registered yet |');
  return `${lines.join('\n')}\n`;
}
