/**
 * Every migration, in order. Listed explicitly (not globbed) so the app, the CLI and the tests
 * load the same set from source or build alike.
 */
export const migrations: Function[] = [];
