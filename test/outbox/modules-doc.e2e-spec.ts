import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventCatalogue } from '../../src/event-catalogue.js';
import { defineModule, type EventHandler, HandlesEvents } from '../../src/outbox/index.js';
import { EventCatalogue, renderModulesDoc } from '../../src/outbox/host.js';
import { orderedSubscription, ThingHappened } from '../support/outbox-fixtures.js';

const MODULES = join(process.cwd(), 'src', 'modules');

/** `<module>.<file>` for every `src/modules/<module>/listeners/<file>.listener.ts`. */
function listenerFiles(): string[] {
  return readdirSync(MODULES).flatMap((module) => {
    const dir = join(MODULES, module, 'listeners');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.listener.ts'))
      .map((f) => `${module}.${f.slice(0, -'.listener.ts'.length)}`);
  });
}

describe('module manifests', () => {
  it('name each subscriber <module>.<listener file>, one listener file per subscriber and back', () => {
    const subscribers = eventCatalogue.allSubscriptions().map((s) => s.name);
    expect([...subscribers].sort()).toEqual(listenerFiles().sort());
    for (const s of eventCatalogue.allSubscriptions()) expect(s.name.startsWith(`${s.module}.`)).toBe(true);
  });

  it('are what the catalogue is made of: every contract is published by exactly one module', () => {
    const published = eventCatalogue.modules().flatMap((m) => m.publishes);
    expect(published).toHaveLength(eventCatalogue.allContracts().length);
    for (const contract of eventCatalogue.allContracts()) {
      expect([contract.type, eventCatalogue.publisherOf(contract)]).toEqual([contract.type, contract.owner]);
    }
  });

  it('refuse a listener of another module, a listener without a subscription, and a listener listed twice', () => {
    @Injectable()
    @HandlesEvents(orderedSubscription)
    class OrderedListener implements EventHandler {
      handle = () => Promise.resolve();
    }
    @Injectable()
    class Unbound {}
    const base = { summary: 's', facade: [], publishes: [ThingHappened] };
    expect(() => defineModule({ ...base, name: 'other', listeners: [OrderedListener] })).toThrow(
      'module other: listener OrderedListener is bound to "testing.ordered-recorder" of module "testing"',
    );
    expect(() => defineModule({ ...base, name: 'testing', listeners: [Unbound] })).toThrow(
      'module testing: listener Unbound has no @HandlesEvents(subscription)',
    );
    expect(() => defineModule({ ...base, name: 'testing', listeners: [OrderedListener, OrderedListener] })).toThrow(
      'module testing: subscriber "testing.ordered-recorder" is listed twice',
    );
    const testing = defineModule({ ...base, name: 'testing', listeners: [OrderedListener] });
    expect(() =>
      EventCatalogue.fromModules([testing, { ...testing, name: 'again', listeners: [], subscriptions: [] }]),
    ).toThrow('event testing.thing-happened@1 is published by both testing and again');
  });
});

describe('docs/modules.md', () => {
  it('matches the manifests in code (run `npm run docs:modules` after changing a manifest)', () => {
    const committed = readFileSync(join(process.cwd(), 'docs', 'modules.md'), 'utf8');
    expect(committed).toBe(renderModulesDoc(eventCatalogue));
  });

  it('shows who hears whom, and each module facade, publications and subscriptions', () => {
    const doc = renderModulesDoc(eventCatalogue);
    expect(doc).toContain('  payments -->|"payment-confirmed"| debts');
    expect(doc).toContain('  debts -->|"citizen-cleared"| licences');
    expect(doc).toContain('| `debts.citizen-cleared` v1 | licences.issue-licences-when-citizen-cleared |');
    expect(doc).toContain(
      '| licences.issue-licences-when-citizen-cleared | `debts.citizen-cleared` v1 | debts | critical | — | `src/modules/licences/listeners/issue-licences-when-citizen-cleared.listener.ts` |',
    );
    expect(doc).toMatch(/## payments\n\n.*\n\n- \*\*Facade\*\*.*`PaymentsApi`/);
  });
});
