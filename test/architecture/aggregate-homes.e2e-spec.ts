import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One home per aggregate (issue 16.3): the files that write an aggregate's table, by SQL
 * (`INSERT INTO`, `UPDATE`, `DELETE FROM`) or through TypeORM (`getRepository(Entity).insert/update/
 * save/delete/upsert`). Each of the five aggregates (payments, debts, licence applications, orders,
 * stock buckets) is written by its own persistence file alone, whatever other files read it.
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
