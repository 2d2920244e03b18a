import { Outbox1795200000000 } from './1795200000000-outbox.js';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the app, the CLI and the tests
 * load the same set from source or build alike.
 */
export const migrations = [Outbox1795200000000];
