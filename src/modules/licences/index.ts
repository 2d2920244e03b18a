/** The licences module's public surface: the only file other modules may import. */
export * from './events/index.js';
export { issueLicencesSubscription } from './listeners/issue-licences-when-citizen-cleared.listener.js';
export { LicencesModule } from './licences.module.js';
