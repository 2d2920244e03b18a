import { QueryFailedError, TypeORMError } from 'typeorm';

/** What a log line may say about an unexpected error: nothing a query carried (personal data). */
export interface LoggableError {
  /** The error's class, e.g. `QueryFailedError`. */
  type: string;
  /** PostgreSQL's SQLSTATE for database errors (`22P02`), or the error's own string `code`. */
  code?: string;
  /** The message, with every quoted literal of a database or ORM message replaced by `"…"`. */
  message: string;
  /** Schema names only (never values): the constraint, table, column and routine PostgreSQL names. */
  constraint?: string;
  table?: string;
  column?: string;
  routine?: string;
  /** The stack's frames under the safe first line (the original first line repeats the message). */
  stack?: string;
}

/** The fields of node-postgres's `DatabaseError` that name schema objects, never values. */
interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  routine?: unknown;
  severity?: unknown;
}

/**
 * Describes `error` for a log line without the SQL parameters, query text or values it may carry.
 * TypeORM's `QueryFailedError` keeps the query and its `parameters` (a national id, an address) as
 * enumerable fields that a JSON logger prints in full, and PostgreSQL quotes offending values in
 * its messages (`invalid input syntax for type uuid: "…"`) and in `detail` (`Key (id)=(…)`). So
 * database and ORM errors are reduced to their class, SQLSTATE, schema names and a message whose
 * quoted parts are removed; `detail`, `where`, `query` and `parameters` are never copied. Other
 * errors are the app's own: their class, string `code`, message and stack, but no other fields.
 */
export function loggableError(error: unknown): LoggableError {
  if (!(error instanceof Error)) return { type: typeof error, message: 'a non-Error value was thrown' };
  const pg = databaseError(error);
  const fromDatabaseOrOrm = pg !== undefined || error instanceof TypeORMError;
  const message = fromDatabaseOrOrm ? withoutLiterals(error.message) : error.message;
  // pg's DatabaseError sets `name` to "error"; a renamed plain Error (SequenceGapError) keeps its name.
  const constructorName = error.constructor?.name;
  const type = constructorName && constructorName !== 'Error' ? constructorName : error.name;
  const described: LoggableError = { type, message };
  const code = pg?.code ?? (error as { code?: unknown }).code;
  if (typeof code === 'string') described.code = code;
  if (pg) {
    for (const field of ['constraint', 'table', 'column', 'routine'] as const) {
      if (typeof pg[field] === 'string') described[field] = pg[field];
    }
  }
  const frames = error.stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  if (frames) described.stack = `${described.type}: ${message}\n${frames}`;
  return described;
}

/** The driver's error behind `error`, when it comes from PostgreSQL. */
function databaseError(error: Error): PgErrorFields | undefined {
  if (error instanceof QueryFailedError) return (error.driverError ?? {}) as PgErrorFields;
  const fields = error as PgErrorFields;
  // node-postgres's DatabaseError: a severity and a five-character SQLSTATE.
  if (typeof fields.severity === 'string' && typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code)) {
    return fields;
  }
  return undefined;
}

/**
 * `message`'s first line with quoted literals ("…", '…') and anything after `matching:` (TypeORM's
 * criteria dumps) removed. Identifiers PostgreSQL quotes (constraint names) go too; they are
 * logged from the error's own fields instead.
 */
function withoutLiterals(message: string): string {
  const firstLine = message.split('\n')[0] ?? '';
  return firstLine
    .replace(/matching:.*$/s, 'matching: …')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/\(.*\)=\(.*\)/g, '(…)=(…)');
}
