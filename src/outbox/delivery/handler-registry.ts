import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import type { Envelope } from '../catalogue/event-contract.js';
import { HANDLES_EVENTS } from '../catalogue/handles-events.js';
import type { Subscription } from '../catalogue/subscription.js';

/**
 * A subscriber's handler. It runs inside the transaction that records the inbox row: its writes
 * (through `tx` only) and the events it appends commit together with that row, or not at all.
 */
export interface EventHandler<P = unknown> {
  handle(event: Envelope<P>, tx: EntityManager): Promise<void>;
}

/** A subscription with the handler bound to it. */
export interface BoundSubscription {
  subscription: Subscription;
  handler: EventHandler;
}

/**
 * Finds every `@HandlesEvents` provider at start and checks it against the catalogue: a handler
 * for an unregistered subscription, a subscription with no handler, or two handlers for one
 * subscription all stop the start.
 */
@Injectable()
export class HandlerRegistry implements OnModuleInit {
  private readonly bound = new Map<string, BoundSubscription>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly catalogue: EventCatalogue,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const subscription = this.reflector.get<Subscription | undefined>(HANDLES_EVENTS, metatype);
      if (!subscription) continue;
      if (this.catalogue.subscription(subscription.name) !== subscription) {
        throw new Error(`handler ${metatype.name} is bound to "${subscription.name}", which is not in the catalogue`);
      }
      if (this.bound.has(subscription.name)) throw new Error(`subscriber "${subscription.name}" has two handlers`);
      if (typeof (instance as EventHandler).handle !== 'function') {
        throw new Error(`handler ${metatype.name} has no handle(event, tx) method`);
      }
      this.bound.set(subscription.name, { subscription, handler: instance as EventHandler });
    }
    const missing = this.catalogue.allSubscriptions().filter((s) => !this.bound.has(s.name));
    if (missing.length > 0) {
      throw new Error(`subscribers without a handler: ${missing.map((s) => s.name).join(', ')}`);
    }
  }

  get(name: string): BoundSubscription | undefined {
    return this.bound.get(name);
  }
}
