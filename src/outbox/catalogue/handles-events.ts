import { SetMetadata } from '@nestjs/common';
import type { Subscription } from './subscription.js';

export const HANDLES_EVENTS = Symbol('outbox:handles-events');

/** Binds a provider implementing `EventHandler` to a catalogue subscription. */
export const HandlesEvents = (subscription: Subscription): ClassDecorator => SetMetadata(HANDLES_EVENTS, subscription);

/** The subscription `handlerClass` is bound to with {@link HandlesEvents}, if any. */
export function boundSubscription(handlerClass: abstract new (...args: never[]) => unknown): Subscription | undefined {
  return Reflect.getMetadata(HANDLES_EVENTS, handlerClass) as Subscription | undefined;
}
