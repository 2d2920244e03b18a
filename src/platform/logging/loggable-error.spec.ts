import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { loggableError } from './loggable-error.js';

/** A node-postgres DatabaseError as the driver builds it (name "error", severity, SQLSTATE, detail). */
function pgError(message: string, fields: Record<string, string>): Error {
  return Object.assign(new Error(message), { name: 'error', severity: 'ERROR', ...fields });
}

const NATIONAL_ID = '1098765432';

describe('loggableError', () => {
  it('keeps class, SQLSTATE and schema names of a failed query, never its parameters, text or values', () => {
    const driver = pgError(`duplicate key value violates unique constraint "citizen_national_id_key"`, {
      code: '23505',
      detail: `Key (national_id)=(${NATIONAL_ID}) already exists.`,
      constraint: 'citizen_national_id_key',
      table: 'citizen',
      routine: '_bt_check_unique',
    });
    const error = new QueryFailedError(`INSERT INTO citizen (national_id) VALUES ($1)`, [NATIONAL_ID], driver);
    const logged = loggableError(error);
    expect(logged).toMatchObject({
      type: 'QueryFailedError',
      code: '23505',
      constraint: 'citizen_national_id_key',
      table: 'citizen',
      routine: '_bt_check_unique',
      message: 'duplicate key value violates unique constraint "…"',
    });
    expect(logged.stack).toMatch(/^QueryFailedError: duplicate key value violates unique constraint "…"\n\s+at /);
    const text = JSON.stringify(logged);
    expect(text).not.toContain(NATIONAL_ID);
    expect(text).not.toContain('INSERT');
  });

  it('removes the values PostgreSQL quotes in its messages', () => {
    const error = new QueryFailedError(
      'SELECT $1::uuid',
      [NATIONAL_ID],
      pgError(`invalid input syntax for type uuid: "${NATIONAL_ID}"`, { code: '22P02' }),
    );
    expect(loggableError(error)).toMatchObject({ code: '22P02', message: 'invalid input syntax for type uuid: "…"' });
    expect(JSON.stringify(loggableError(error))).not.toContain(NATIONAL_ID);
    // The driver's error on its own (not wrapped by TypeORM) is treated the same.
    const bare = pgError(`value '${NATIONAL_ID}' is out of range`, { code: '22003' });
    expect(loggableError(bare)).toMatchObject({ type: 'error', code: '22003', message: "value '…' is out of range" });
  });

  it("drops TypeORM's criteria dump", () => {
    const error = new EntityNotFoundError('OrderEntity', { customerId: NATIONAL_ID });
    const logged = loggableError(error);
    expect(logged.type).toBe('EntityNotFoundError');
    expect(JSON.stringify(logged)).not.toContain(NATIONAL_ID);
  });

  it("keeps the app's own errors' message, but none of their other fields", () => {
    const error = Object.assign(new Error('the relay lost its lease'), { payload: { nationalId: NATIONAL_ID } });
    const logged = loggableError(error);
    expect(logged).toMatchObject({ type: 'Error', message: 'the relay lost its lease' });
    expect(JSON.stringify(logged)).not.toContain(NATIONAL_ID);
    expect(loggableError('a string')).toEqual({ type: 'string', message: 'a non-Error value was thrown' });
  });
});
