/** The licences module's public surface: the only file other modules may import. */
export { LicencesModule } from './licences.module.js';
