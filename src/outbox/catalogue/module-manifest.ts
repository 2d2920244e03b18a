import type { Type } from '@nestjs/common';
import type { EventContract, Upcaster } from './event-contract.js';
import { boundSubscription } from './handles-events.js';
import type { Subscription } from './subscription.js';

/** A listener class: an injectable `EventHandler` bound to one subscription with `@HandlesEvents`. */
export type ListenerClass = Type<unknown>;

/** What a module declares about itself to the rest of the house (docs/adr/0043-module-manifests.md). */
export interface ModuleManifestInput {
  /** The module's name: each of its subscribers is named `<name>.<listener file name>`. */
  name: string;
  /** One line: what the module owns. */
  summary: string;
  /** What other modules may call in-process, by class name, through the module's `index.ts` ([] when none). */
  facade: string[];
  /** The event contracts the module appends (it owns their versions). */
  publishes: EventContract[];
  /** The module's listeners; the Nest module provides exactly these, and the catalogue takes their subscriptions. */
  listeners: ListenerClass[];
  /** How an earlier version of a published event becomes the next (docs/adr/0045-event-upcasters.md). */
  upcasters?: Upcaster[];
}

export interface ModuleManifest extends Readonly<
  Omit<ModuleManifestInput, 'facade' | 'publishes' | 'listeners' | 'upcasters'>
> {
  readonly facade: readonly string[];
  readonly upcasters: readonly Upcaster[];
  readonly publishes: readonly EventContract[];
  readonly listeners: readonly ListenerClass[];
  /** The listeners' subscriptions, in the order of `listeners`. */
  readonly subscriptions: readonly Subscription[];
}

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * A module's manifest: the one place that lists what it publishes and what it hears. Checks that each
 * listener is bound to a subscription of this module and that no listener appears twice; the event
 * catalogue combines manifests (`EventCatalogue.fromModules`).
 */
export function defineModule(input: ModuleManifestInput): ModuleManifest {
  if (!NAME.test(input.name)) throw new Error(`module name "${input.name}" must be lower-case kebab-case`);
  const subscriptions = input.listeners.map((listener) => {
    const subscription = boundSubscription(listener);
    if (subscription === undefined) {
      throw new Error(`module ${input.name}: listener ${listener.name} has no @HandlesEvents(subscription)`);
    }
    if (subscription.module !== input.name || !subscription.name.startsWith(`${input.name}.`)) {
      throw new Error(
        `module ${input.name}: listener ${listener.name} is bound to "${subscription.name}" of module ` +
          `"${subscription.module}"; a module's subscribers are named "${input.name}.<listener file name>"`,
      );
    }
    return subscription;
  });
  const names = subscriptions.map((s) => s.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`module ${input.name}: subscriber "${twice}" is listed twice`);
  return Object.freeze({
    ...input,
    facade: Object.freeze([...input.facade]),
    publishes: Object.freeze([...input.publishes]),
    listeners: Object.freeze([...input.listeners]),
    upcasters: Object.freeze([...(input.upcasters ?? [])]),
    subscriptions: Object.freeze(subscriptions),
  });
}
