import { decodeCursor, encodeCursor, MAX_CURSOR_OFFSET, OFFSET_CURSOR, toPage, UUID_CURSOR } from './pagination.js';
import { ValidationProblem } from './problem.js';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

function refusal<K>(decode: () => K): ValidationProblem {
  try {
    decode();
  } catch (error) {
    if (error instanceof ValidationProblem) return error;
    throw error;
  }
  throw new Error('the cursor was accepted');
}

describe('list cursors', () => {
  const id = '0190a6f0-8b1c-7d2e-9f00-123456789abc';

  it('round-trips the keys of each shape, and reads no cursor as the first page', () => {
    expect(decodeCursor(UUID_CURSOR, encodeCursor(UUID_CURSOR, id))).toBe(id);
    expect(decodeCursor(OFFSET_CURSOR, encodeCursor(OFFSET_CURSOR, 0))).toBe(0);
    expect(decodeCursor(OFFSET_CURSOR, encodeCursor(OFFSET_CURSOR, 150))).toBe(150);
    expect(decodeCursor(UUID_CURSOR, undefined)).toBeUndefined();
  });

  it.each([
    ['characters outside base64url', 'not a cursor!'],
    ['padding', `${b64(id)}=`],
    ['standard base64 characters', b64(id).replace(/-/g, '+').replace(/_/g, '/') + '+/'],
    ['an empty string', ''],
    ['stray bits in the last character (not canonical)', b64('12').slice(0, -1) + 'x'],
    ['bytes that are not UTF-8', b64(Buffer.from([0xff, 0xfe, 0x00]))],
    ['SQL', b64("' OR 1=1 --")],
    ['a uuid with a NUL byte', b64(`${id}\u0000`)],
  ])('refuses a uuid cursor with %s (400 on field cursor)', (_label, cursor) => {
    const problem = refusal(() => decodeCursor(UUID_CURSOR, cursor));
    expect(problem.getStatus()).toBe(400);
    expect(problem.toProblem().errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });

  it.each([
    ['a negative offset', b64('-1')],
    ['a leading zero', b64('01')],
    ['a fraction', b64('1.5')],
    ['an exponent', b64('1e3')],
    ['an offset past the bound', b64(String(MAX_CURSOR_OFFSET + 1))],
    ['a number past bigint', b64('99999999999999999999')],
    ['the old plain-number format', '50'],
    ['a uuid', b64(id)],
  ])('refuses an offset cursor with %s', (_label, cursor) => {
    expect(refusal(() => decodeCursor(OFFSET_CURSOR, cursor)).getStatus()).toBe(400);
  });

  it('refuses another list shape: an offset cursor is no uuid cursor', () => {
    expect(refusal(() => decodeCursor(UUID_CURSOR, encodeCursor(OFFSET_CURSOR, 10))).getStatus()).toBe(400);
  });

  it('builds pages whose cursor carries the last item key, null on the last page', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `0190a6f0-8b1c-7d2e-9f00-00000000000${n}` }));
    const first = toPage(
      rows,
      2,
      UUID_CURSOR,
      (row) => row.id,
      (row) => row.id,
    );
    expect(first.items).toEqual([rows[0].id, rows[1].id]);
    expect(decodeCursor(UUID_CURSOR, first.nextCursor!)).toBe(rows[1].id);
    expect(
      toPage(
        rows,
        3,
        UUID_CURSOR,
        (row) => row.id,
        (row) => row.id,
      ).nextCursor,
    ).toBeNull();
  });
});
