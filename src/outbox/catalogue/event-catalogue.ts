import { type Envelope, type EventContract, type Lane, payloadFields, type Upcaster } from './event-contract.js';

/** Claim priority per lane: lower is claimed first (docs/adr/0013-relay-claims-by-lane-priority.md). */
export const LANE_PRIORITY: Readonly<Record<Lane, number>> = { critical: 0, default: 1, bulk: 2 };
import type { ModuleManifest } from './module-manifest.js';
import type { Subscription } from './subscription.js';

/** One way an event reaches a subscriber: events of `stored` go to `subscription`, which handles `handled`. */
export interface Route {
  readonly stored: EventContract;
  readonly subscription: Subscription;
  /** The subscribed contract: `stored` itself, or a later version it is upcast to on delivery. */
  readonly handled: EventContract;
}

/**
 * The single registry of event contracts and their subscribers. Built once at the composition
 * root; inconsistencies (duplicate types, unregistered subscriptions) throw at construction, so
 * they fail the start, and `docs/events.md` is rendered from it.
 */
export class EventCatalogue {
  private readonly contracts = new Map<string, EventContract>();
  private readonly subscriptionsByName = new Map<string, Subscription>();
  private readonly priorities = new Map<EventContract, number>();
  /** Upcasters by the contract they upcast from. */
  private readonly upcasters = new Map<EventContract, Upcaster>();
  /** Every route, retired subscribers' included (they still handle what they were sent). */
  private readonly allRoutes: Route[] = [];
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
      manifests.flatMap((m) => m.upcasters),
    );
    catalogue.manifests = Object.freeze([...manifests]);
    return catalogue;
  }

  constructor(
    contracts: readonly EventContract[],
    subscriptions: readonly Subscription[],
    upcasters: readonly Upcaster[] = [],
  ) {
    for (const contract of contracts) {
      const key = EventCatalogue.key(contract.type, contract.version);
      if (this.contracts.has(key)) throw new Error(`event ${key} is registered twice`);
      this.contracts.set(key, contract);
    }
    for (const upcaster of upcasters) {
      const name = `upcaster ${upcaster.from.type} v${upcaster.from.version} → v${upcaster.to.version}`;
      if (!this.isRegistered(upcaster.from) || !this.isRegistered(upcaster.to)) {
        throw new Error(`${name}: both versions must be registered`);
      }
      if (this.upcasters.has(upcaster.from)) throw new Error(`${name} is registered twice`);
      this.upcasters.set(upcaster.from, upcaster);
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
        for (const stored of this.sourcesOf(contract, subscription)) {
          // The relay filters the stored payload: every version routed here must carry the fields.
          const fields = payloadFields(stored);
          for (const field of Object.keys(subscription.filter ?? {})) {
            if (!fields.includes(field)) {
              throw new Error(
                `subscriber "${subscription.name}" filters on "${field}", which ${stored.type} v${stored.version} does not carry`,
              );
            }
          }
          this.allRoutes.push(Object.freeze({ stored, subscription, handled: contract }));
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

  /**
   * The subscriptions that receive `contract`'s new events, as it is or upcast to a later version
   * they handle (retired ones only drain what they had).
   */
  subscribersOf(contract: EventContract): Subscription[] {
    return this.routes()
      .filter((r) => r.stored === contract)
      .map((r) => r.subscription);
  }

  /** Where the relay sends new events: every (stored contract, subscriber) pair of a live subscriber. */
  routes(): readonly Route[] {
    return this.allRoutes.filter((r) => r.subscription.retired === null);
  }

  /** The route a delivery of `envelope` to `subscription` came by, if there is one (retired subscribers included). */
  routeOf(subscription: Subscription, envelope: Pick<Envelope, 'type' | 'version'>): Route | undefined {
    return this.allRoutes.find(
      (r) =>
        r.subscription === subscription && r.stored.type === envelope.type && r.stored.version === envelope.version,
    );
  }

  /** `envelope` as `route.handled` describes it: upcast one version at a time; the same envelope when no upcast is due. */
  upcast<P = unknown>(envelope: Envelope, route: Route): Envelope<P> {
    let current = envelope;
    while (current.version < route.handled.version) {
      const upcaster = this.upcasters.get(this.contract(current.type, current.version))!;
      current = { ...current, version: upcaster.to.version, payload: upcaster.upcast(current.payload) };
    }
    return current as Envelope<P>;
  }

  /**
   * The contracts whose events reach `subscription` as `contract`: itself, and each earlier version
   * an unbroken chain of upcasters leads from, down to a version the subscription takes itself.
   */
  private sourcesOf(contract: EventContract, subscription: Subscription): EventContract[] {
    const sources = [contract];
    for (;;) {
      const earlier = [...this.upcasters.values()].find((u) => u.to === sources[sources.length - 1]);
      if (earlier === undefined || subscription.contracts.includes(earlier.from)) return sources;
      sources.push(earlier.from);
    }
  }

  /** Retired subscriptions of `contract`: handlers kept for deliveries made before they retired. */
  retiredSubscribersOf(contract: EventContract): Subscription[] {
    return this.allSubscriptions().filter((s) => s.contracts.includes(contract) && s.retired !== null);
  }
}
