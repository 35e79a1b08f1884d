import type { Knex } from 'knex';
import { SEED_KEYS, type SeedTable } from './seed-database';

export interface SourceChangeOptions {
  /** Rows of each seeded table to update (updated_at = at), and transactions to add late. */
  readonly count: number;
  /** The time the changes happen. */
  readonly at: Date;
  /** How far before `at` the late transactions' updated_at lies: committed late, stamped earlier. */
  readonly lateSeconds: number;
}

/** What changed, per table: ids updated and ids inserted. */
export interface SourceChanges {
  readonly updated: Readonly<Record<string, readonly string[]>>;
  readonly inserted: readonly string[];
}

/**
 * Changes a seeded database the way a working day would, to exercise incremental loading: in
 * each table, `count` rows (every k-th id, deterministic) get a new value and updated_at = at; and
 * `count` new transactions arrive whose updated_at is `lateSeconds` before `at` (rows committed
 * late, with an older cursor value). Tables that do not exist are skipped.
 */
export async function applySourceChanges(db: Knex, tables: readonly SeedTable[], opts: SourceChangeOptions): Promise<SourceChanges> {
  const updated: Record<string, string[]> = {};
  let inserted: string[] = [];
  for (const table of tables) {
    if (!(await db.schema.hasTable(table))) continue;
    const key = SEED_KEYS[table];
    const total = Number((await db(table).count({ n: '*' }))[0]!.n);
    if (total === 0) continue;
    const step = Math.max(1, Math.floor(total / Math.max(1, opts.count)));
    const ids = (await db(table).select(key).orderBy(key).limit(opts.count * step)).map((r: Record<string, string>) => r[key]!).filter((_, i) => i % step === 0).slice(0, opts.count);
    const change: Record<string, unknown> = { updated_at: opts.at };
    if (table === 'customers') change.city = 'Relocated City';
    if (table === 'products') change.unit_price = db.raw('unit_price + 1');
    if (table === 'locations') change.store_name = db.raw("concat(store_name, ' (renovated)')");
    if (table === 'sales_transactions') change.discount = 0;
    await db(table).whereIn(key, ids).update(change);
    updated[table] = ids;
    if (table === 'sales_transactions') {
      const last = (await db(table).max({ id: key }))[0]!.id as string;
      const template = (await db(table).where(key, ids[0]!).first()) as Record<string, unknown>;
      const late = new Date(opts.at.getTime() - opts.lateSeconds * 1000);
      const next = Number(last.replace(/\D/g, ''));
      const rows = Array.from({ length: opts.count }, (_, i) => ({ ...template, [key]: `TXN${String(next + i + 1).padStart(8, '0')}`, transaction_timestamp: late, updated_at: late }));
      await db(table).insert(rows);
      inserted = rows.map((r) => r[key] as string);
    }
  }
  return { updated, inserted };
}
