import type { EventCatalogue } from './event-catalogue.js';
import type { EventContract } from './event-contract.js';
import { describeFilter, type Subscription } from './subscription.js';

const event = (c: EventContract): string => `\`${c.type}\` v${c.version}`;

/** Where a subscriber's listener lives: `<module>.<file>` names `src/modules/<module>/listeners/<file>.listener.ts`. */
export function listenerFile(subscription: Subscription): string {
  const file = subscription.name.slice(subscription.module.length + 1);
  return `src/modules/${subscription.module}/listeners/${file}.listener.ts`;
}

/**
 * Renders `docs/modules.md` from the modules' manifests (a canvas per module, after Spring Modulith's
 * Documenter): a Mermaid diagram of who hears whom, then per module its facade, the events it
 * publishes and who hears them, and the events it hears and from whom. A test fails when the
 * committed file differs.
 */
export function renderModulesDoc(catalogue: EventCatalogue): string {
  const modules = catalogue.modules();
  const publisher = (c: EventContract): string => catalogue.publisherOf(c) ?? c.owner;
  const lines = [
    '# Modules',
    '',
    "Generated from the modules' manifests (`src/modules/<module>/<module>.manifest.ts`, combined in",
    '`src/event-catalogue.ts`) by `npm run docs:modules`; do not edit by hand. Each subscriber is named',
    '`<module>.<listener file>`: `payments.refund-at-gateway` is `src/modules/payments/listeners/refund-at-gateway.listener.ts`.',
    'Event payloads and versions: [events.md](events.md).',
    '',
    '## Who hears whom',
    '',
    'An arrow runs from the module that publishes an event to the module whose subscriber hears it.',
    '',
    '```mermaid',
    'flowchart LR',
  ];
  for (const m of modules) lines.push(`  ${m.name}[${m.name}]`);
  const edges = new Map<string, string[]>();
  for (const m of modules) {
    for (const s of m.subscriptions.filter((sub) => sub.retired === null)) {
      for (const c of s.contracts) {
        const key = `${publisher(c)} --> ${m.name}`;
        const label = c.type.slice(c.type.indexOf('.') + 1);
        const labels = edges.get(key) ?? [];
        if (!labels.includes(label)) labels.push(label);
        edges.set(key, labels);
      }
    }
  }
  for (const [key, labels] of edges) {
    const [from, to] = key.split(' --> ');
    lines.push(`  ${from} -->|"${labels.join('<br>')}"| ${to}`);
  }
  lines.push('```');

  for (const m of modules) {
    lines.push('', `## ${m.name}`, '', m.summary, '');
    lines.push(
      `- **Facade** (in-process calls other modules may make, through \`src/modules/${m.name}/index.ts\`): ` +
        (m.facade.length > 0 ? m.facade.map((f) => `\`${f}\``).join(', ') : 'none; other modules only hear its events'),
    );
    lines.push('', '**Publishes**', '');
    if (m.publishes.length === 0) lines.push('nothing');
    else {
      lines.push('| event | heard by |', '|---|---|');
      for (const c of m.publishes) {
        const heardBy = catalogue.subscribersOf(c).map((s) => s.name);
        lines.push(`| ${event(c)} | ${heardBy.join('<br>') || '—'} |`);
      }
    }
    lines.push('', '**Hears**', '');
    if (m.subscriptions.length === 0) lines.push('nothing');
    else {
      lines.push('| subscriber | event | from | lane | only | listener |', '|---|---|---|---|---|---|');
      for (const s of m.subscriptions) {
        for (const c of s.contracts) {
          lines.push(
            `| ${s.name}${s.retired === null ? '' : ` (retired: ${s.retired})`} | ${event(c)} | ${publisher(c)} | ${s.lane}${s.ordered ? ', ordered' : ''} | ` +
              `${s.filter ? describeFilter(s.filter) : '—'} | \`${listenerFile(s)}\` |`,
          );
        }
      }
    }
  }
  if (modules.length === 0)
    lines.push('', 'No module manifests: the catalogue was not built with `EventCatalogue.fromModules`.');
  return `${lines.join('\n')}\n`;
}
