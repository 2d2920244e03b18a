import { type EventContract, type Lane, payloadFields } from './event-contract.js';

/** Claim priority per lane: lower is claimed first (docs/adr/0013-relay-claims-by-lane-priority.md). */
export const LANE_PRIORITY: Readonly<Record<Lane, number>> = { critical: 0, default: 1, bulk: 2 };
import type { ModuleManifest } from './module-manifest.js';
import type { Subscription } from './subscription.js';

/**
 * The single registry of event contracts and their subscribers. Built once at the composition
 * root; inconsistencies (duplicate types, unregistered subscriptions) throw at construction, so
 * they fail the start, and `docs/events.md` is rendered from it.
 */
export class EventCatalogue {
  private readonly contracts = new Map<string, EventContract>();
  private readonly subscriptionsByName = new Map<string, Subscription>();
  private readonly priorities = new Map<EventContract, number>();
  private manifests: readonly ModuleManifest[] = [];

  /**
   * The application's catalogue: what each module's manifest publishes and hears. A contract two
   * modules publish, or two modules of one name, stop the start.
   */
  static fromModules(manifests: readonly ModuleManifest[]): EventCatalogue {
    const modules = new Set<string>();
    const publishers = new Map<string, string>();
    for (const manifest of manifests) {
      if (modules.has(manifest.name)) throw new Error(`module "${manifest.name}" is listed twice`);
      modules.add(manifest.name);
      for (const contract of manifest.publishes) {
        const key = EventCatalogue.key(contract.type, contract.version);
        const other = publishers.get(key);
        if (other !== undefined) throw new Error(`event ${key} is published by both ${other} and ${manifest.name}`);
        publishers.set(key, manifest.name);
      }
    }
    const catalogue = new EventCatalogue(
      manifests.flatMap((m) => m.publishes),
      manifests.flatMap((m) => m.subscriptions),
    );
    catalogue.manifests = Object.freeze([...manifests]);
    return catalogue;
  }

  constructor(contracts: readonly EventContract[], subscriptions: readonly Subscription[]) {
    for (const contract of contracts) {
      const key = EventCatalogue.key(contract.type, contract.version);
      if (this.contracts.has(key)) throw new Error(`event ${key} is registered twice`);
      this.contracts.set(key, contract);
    }
    for (const subscription of subscriptions) {
      if (this.subscriptionsByName.has(subscription.name)) {
        throw new Error(`subscriber "${subscription.name}" is registered twice`);
      }
      for (const contract of subscription.contracts) {
        if (this.contracts.get(EventCatalogue.key(contract.type, contract.version)) !== contract) {
          throw new Error(
            `subscriber "${subscription.name}" subscribes to unregistered event ${contract.type} v${contract.version}`,
          );
        }
        const fields = payloadFields(contract);
        for (const field of Object.keys(subscription.filter ?? {})) {
          if (!fields.includes(field)) {
            throw new Error(
              `subscriber "${subscription.name}" filters on "${field}", which ${contract.type} v${contract.version} does not carry`,
            );
          }
        }
      }
      this.subscriptionsByName.set(subscription.name, subscription);
    }
    // Read on every append: computed once here.
    for (const contract of this.contracts.values()) {
      const lanes = this.subscribersOf(contract).map((s) => LANE_PRIORITY[s.lane]);
      this.priorities.set(contract, lanes.length > 0 ? Math.min(...lanes) : LANE_PRIORITY.bulk);
    }
  }

  private static key(type: string, version: number): string {
    return `${type}@${version}`;
  }

  /** The registered contract, or an error naming the unregistered event. */
  contract(type: string, version: number): EventContract {
    const contract = this.contracts.get(EventCatalogue.key(type, version));
    if (!contract) throw new Error(`event ${type} v${version} is not registered in the catalogue`);
    return contract;
  }

  isRegistered(contract: EventContract): boolean {
    return this.contracts.get(EventCatalogue.key(contract.type, contract.version)) === contract;
  }

  allContracts(): EventContract[] {
    return [...this.contracts.values()].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  }

  allSubscriptions(): Subscription[] {
    return [...this.subscriptionsByName.values()];
  }

  /** The modules' manifests, when built with {@link fromModules}; else none. */
  modules(): readonly ModuleManifest[] {
    return this.manifests;
  }

  /** The module whose manifest publishes `contract`, if known. */
  publisherOf(contract: EventContract): string | undefined {
    return this.manifests.find((m) => m.publishes.includes(contract))?.name;
  }

  subscription(name: string): Subscription | undefined {
    return this.subscriptionsByName.get(name);
  }

  /**
   * The claim priority of `contract`'s events: that of its most urgent subscriber's lane
   * (critical 0, default 1, bulk 2); events nobody waits for go last.
   */
  claimPriority(contract: EventContract): number {
    return this.priorities.get(contract) ?? LANE_PRIORITY.bulk;
  }

  /** The subscriptions that receive `contract`'s new events (retired ones only drain what they had). */
  subscribersOf(contract: EventContract): Subscription[] {
    return this.allSubscriptions().filter((s) => s.contracts.includes(contract) && s.retired === null);
  }

  /** Retired subscriptions of `contract`: handlers kept for deliveries made before they retired. */
  retiredSubscribersOf(contract: EventContract): Subscription[] {
    return this.allSubscriptions().filter((s) => s.contracts.includes(contract) && s.retired !== null);
  }
}
