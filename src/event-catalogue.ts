import { EventCatalogue } from './outbox/index.js';

/**
 * The application's single event registry: every module's published contracts and every
 * subscription. `docs/events.md` is generated from it (`npm run docs:events`).
 */
export const eventCatalogue = new EventCatalogue([], []);
