import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One home per aggregate (issue 16.3): the files that write an aggregate's table, by SQL
 * (`INSERT INTO`, `UPDATE`, `DELETE FROM`) or through TypeORM (`getRepository(Entity).insert/update/
 * save/delete/upsert`). Each of the five aggregates (payments, debts, licence applications, orders,
 * stock buckets) is written by its own persistence file alone.
 *
 * Reads too: every statement that touches one of the five tables in src/, read or write, lives in
 * its aggregate's home ({@link STATEMENT_HOMES}; payments first, docs/adr/0048-payment-aggregate.md).
 * Facades, controllers, queries, listeners and reconcilers call a named method of the home instead.
 * A reconciler's query that joins the aggregate's table with another table stays one statement and
 * lives in the home of the aggregate it checks; where that other table is itself an aggregate's,
 * the one file allowed to read it besides its home is named in `readAlsoIn`, with why
 * (the reservations reconciliation reads `fulfilment_order` from stock-buckets.ts). Such a reader
 * still may not write the table: {@link WRITERS} checks that.
 * scripts/, bench/ and test/ are outside src/ and may read any table.
 */
const WRITERS: Record<string, { entity: string; files: string[]; home: boolean }> = {
  payments_payment: {
    entity: 'PaymentEntity',
    files: ['src/modules/payments/persistence/payment.repository.ts'],
    home: true,
  },
  debts_debt: {
    entity: 'DebtEntity',
    files: ['src/modules/debts/persistence/debt.repository.ts'],
    home: true,
  },
  licences_application: {
    entity: 'LicenceApplicationEntity',
    files: ['src/modules/licences/persistence/licence-application.repository.ts'],
    home: true,
  },
  fulfilment_order: {
    entity: 'OrderEntity',
    files: ['src/modules/fulfilment/persistence/orders.ts'],
    home: true,
  },
  fulfilment_stock: {
    entity: 'StockBucketEntity',
    files: ['src/modules/fulfilment/persistence/stock-buckets.ts'],
    home: true,
  },
};

/**
 * Tables whose every statement (read or write) lives in one file of src/, its home; `readAlsoIn`
 * names a file that may also read the table, in a single statement that joins it with the table of
 * the aggregate that file is the home of.
 */
const STATEMENT_HOMES: Record<string, { entity: string; file: string; readAlsoIn?: Record<string, string> }> = {
  payments_payment: { entity: 'PaymentEntity', file: 'src/modules/payments/persistence/payment.repository.ts' },
  debts_debt: { entity: 'DebtEntity', file: 'src/modules/debts/persistence/debt.repository.ts' },
  licences_application: {
    entity: 'LicenceApplicationEntity',
    file: 'src/modules/licences/persistence/licence-application.repository.ts',
  },
  fulfilment_order: {
    entity: 'OrderEntity',
    file: 'src/modules/fulfilment/persistence/orders.ts',
    readAlsoIn: {
      // reservedVersusOrders(): every bucket's `reserved` against the orders' allocations, one snapshot.
      'src/modules/fulfilment/persistence/stock-buckets.ts': 'the reservations reconciliation checks buckets',
    },
  },
  fulfilment_stock: { entity: 'StockBucketEntity', file: 'src/modules/fulfilment/persistence/stock-buckets.ts' },
};

/** The file where the entity is declared (`@Entity('table')`) names the table without a statement. */
const ENTITY_FILES: Record<string, string> = {
  payments_payment: 'src/modules/payments/persistence/payment.entity.ts',
  debts_debt: 'src/modules/debts/persistence/debt.entity.ts',
  licences_application: 'src/modules/licences/persistence/licence-application.entity.ts',
  fulfilment_order: 'src/modules/fulfilment/persistence/order.entity.ts',
  fulfilment_stock: 'src/modules/fulfilment/persistence/stock-bucket.entity.ts',
};

const ROOT = process.cwd();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [relative(ROOT, path)] : [];
  });
}

/** Whether `text` writes `table` (SQL) or `entity` (TypeORM). */
function writes(text: string, table: string, entity: string): boolean {
  const sql = new RegExp(`\\b(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+${table}\\b`, 'i');
  const orm = new RegExp(`getRepository\\(\\s*${entity}\\s*\\)\\s*\\.\\s*(insert|update|save|delete|upsert|remove)\\b`);
  return sql.test(text) || orm.test(text);
}

/** `text` without its comments, so a comment that names a table is no statement. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/**
 * Whether `text` touches `table` at all: code (not a comment) that names the table - any SQL
 * statement, FROM, JOIN, INSERT INTO, UPDATE alike - or TypeORM access to `entity` (getRepository, the manager's
 * find/count/insert/... with the entity class, a query builder from it, or @InjectRepository).
 */
function touches(text: string, table: string, entity: string): boolean {
  const source = code(text);
  const sql = new RegExp(`\\b${table}\\b`);
  const orm = new RegExp(
    `(getRepository|InjectRepository|createQueryBuilder|\\.(find\\w*|count\\w*|exist\\w*|insert|update|save|delete|upsert|remove|softDelete|increment|decrement|sum|average|minimum|maximum|query))\\s*\\(\\s*${entity}\\b`,
  );
  return sql.test(source) || orm.test(source);
}

describe('one home per aggregate', () => {
  const files = sources(join(ROOT, 'src'));

  it('finds writes the way the code makes them (the check can fail)', () => {
    expect(writes("await tx.query(`UPDATE payments_payment SET status = 'x'`)", 'payments_payment', 'P')).toBe(true);
    expect(writes('tx\n  .getRepository(OrderEntity)\n  .update({ id }, {})', 'fulfilment_order', 'OrderEntity')).toBe(
      true,
    );
    expect(writes('SELECT status FROM payments_payment', 'payments_payment', 'PaymentEntity')).toBe(false);
    expect(writes('getRepository(PaymentEntity).findOneBy({ id })', 'payments_payment', 'PaymentEntity')).toBe(false);
    expect(files.length).toBeGreaterThan(100);
  });

  it('finds reads of a table the way the code makes them (the check can fail)', () => {
    const touched = (text: string): boolean => touches(text, 'payments_payment', 'PaymentEntity');
    expect(touched('await tx.query(`SELECT status FROM payments_payment WHERE id = $1`, [id])')).toBe(true);
    expect(touched('`SELECT o.id FROM fulfilment_order o\n JOIN payments_payment p ON p.reference_id = o.id`')).toBe(
      true,
    );
    expect(touched('this.dataSource.getRepository(PaymentEntity).findOneBy({ id })')).toBe(true);
    expect(touched('tx.getRepository(\n  PaymentEntity,\n).find()')).toBe(true);
    expect(touched('await tx.findOneBy(PaymentEntity, { id })')).toBe(true);
    expect(touched('manager.count(PaymentEntity, { where: { status } })')).toBe(true);
    expect(touched('@InjectRepository(PaymentEntity) private readonly repo: Repository<PaymentEntity>')).toBe(true);
    expect(touched('tx.createQueryBuilder(PaymentEntity, "p")')).toBe(true);
    // A comment naming the table, or another table, is no statement.
    expect(touched('/** before any `payments_payment` row lock */\nconst x = 1;')).toBe(false);
    expect(touched('// payments_payment rows\nconst x = 1;')).toBe(false);
    expect(touched('SELECT id FROM payments_webhook_event')).toBe(false);
  });

  it.each(Object.entries(STATEMENT_HOMES))(
    '%s is read or written only in its home',
    (table, { entity, file, readAlsoIn = {} }) => {
      const touching = files.filter(
        (path) => path !== ENTITY_FILES[table] && touches(readFileSync(join(ROOT, path), 'utf8'), table, entity),
      );
      expect(touching.sort()).toEqual([file, ...Object.keys(readAlsoIn)].sort());
    },
  );

  it('lists every aggregate of WRITERS as a statement home in the same file, its entity file real', () => {
    for (const [table, { entity, files: writers }] of Object.entries(WRITERS)) {
      expect(STATEMENT_HOMES[table]).toMatchObject({ entity, file: writers[0] });
      expect(readFileSync(join(ROOT, ENTITY_FILES[table]), 'utf8')).toMatch(new RegExp(`@Entity\\('${table}'\\)`));
    }
  });

  it.each(Object.entries(WRITERS))('%s is written only where it is listed', (table, { entity, files: allowed }) => {
    const writers = files.filter((file) => writes(readFileSync(join(ROOT, file), 'utf8'), table, entity));
    expect(writers.sort()).toEqual([...allowed].sort());
  });

  it('gives every aggregate a home of its own: one file, its only writer', () => {
    const homes = Object.entries(WRITERS).filter(([, w]) => w.home);
    for (const [, { files: allowed }] of homes) expect(allowed).toHaveLength(1);
    expect(homes.map(([table]) => table)).toEqual(Object.keys(WRITERS));
  });
});
