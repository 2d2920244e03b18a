/** The licences module's public surface: the only file other modules may import. */
export * from './events/index.js';
export { LicencesModule } from './licences.module.js';
export { licencesManifest } from './licences.manifest.js';
