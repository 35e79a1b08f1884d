import type { Knex } from 'knex';
import { generateCustomers } from './generate-customers';
import { generateLocations } from './generate-locations';
import { generateProducts } from './generate-products';
import { generateTransactions } from './generate-transactions';
import { computeSampleCounts } from './sample-counts';
import { CUSTOMER_COLUMNS, LOCATION_COLUMNS, PRODUCT_COLUMNS, type TransactionRow } from './sample-schema';

/** Tables the seeder can create, one per sample entity. */
export const SEED_TABLES = ['customers', 'products', 'locations', 'sales_transactions'] as const;
export type SeedTable = (typeof SEED_TABLES)[number];

/** What each database holds by default: PostgreSQL the sales system, MySQL the store system. */
export const DEFAULT_SEED_TABLES: Readonly<Record<'postgres' | 'mysql', readonly SeedTable[]>> = Object.freeze({
  postgres: ['customers', 'products', 'sales_transactions'],
  mysql: ['locations'],
});

export interface SeedOptions {
  readonly client: 'postgres' | 'mysql';
  readonly tables: readonly SeedTable[];
  readonly seed: number;
  readonly scale: number;
  readonly ds: string;
  readonly days: number;
  /** Rows per INSERT. */
  readonly batchSize?: number;
  /** Called after each INSERT with the table and rows so far. */
  readonly onProgress?: (table: SeedTable, rows: number) => void;
}

const text = (n: number) => `varchar(${n})`;

/** Column types of each table; every table also gets updated_at, the incremental cursor. */
function columnsOf(table: SeedTable, client: 'postgres' | 'mysql'): [string, string][] {
  const money = (p: number, s: number) => `decimal(${p},${s})`;
  const ts = client === 'postgres' ? 'timestamptz(3)' : 'datetime(3)';
  switch (table) {
    case 'customers':
      return CUSTOMER_COLUMNS.map((c) => [c, c === 'customer_id' ? text(16) : text(200)]);
    case 'products':
      return PRODUCT_COLUMNS.map((c) => [c, c === 'product_id' ? text(16) : c === 'unit_cost' || c === 'unit_price' ? money(10, 2) : text(200)]);
    case 'locations':
      return LOCATION_COLUMNS.map((c) => [c, c === 'location_id' ? text(16) : text(200)]);
    case 'sales_transactions':
      return [
        ['transaction_id', text(16)],
        ['customer_id', text(16)],
        ['product_id', text(16)],
        ['location_id', text(16)],
        ['quantity', 'integer'],
        ['unit_price', money(10, 2)],
        ['discount', money(6, 4)],
        ['tax_amount', money(10, 2)],
        ['total_amount', money(12, 2)],
        ['transaction_timestamp', ts],
      ];
  }
}

/** The primary key column of each table. */
export const SEED_KEYS: Readonly<Record<SeedTable, string>> = Object.freeze({
  customers: 'customer_id',
  products: 'product_id',
  locations: 'location_id',
  sales_transactions: 'transaction_id',
});

/** (Re)creates a table with its primary key, an updated_at cursor column and an index on it. */
async function createTable(db: Knex, table: SeedTable, client: 'postgres' | 'mysql'): Promise<void> {
  const ts = client === 'postgres' ? 'timestamptz(3)' : 'datetime(3)';
  await db.schema.dropTableIfExists(table);
  const cols = columnsOf(table, client).map(([n, t]) => `${n} ${t}${n === SEED_KEYS[table] ? ' NOT NULL PRIMARY KEY' : ''}`);
  await db.raw(`CREATE TABLE ${table} (${cols.join(', ')}, updated_at ${ts} NOT NULL)`);
  await db.raw(`CREATE INDEX ${table}_updated_at ON ${table} (updated_at)`);
}

/** A transaction as a typed row: the generator's dirty values (a word for a quantity, an unparseable time) become NULL, as a typed column would force. */
export function transactionToDbRow(t: TransactionRow, fallbackUpdatedAt: Date): Record<string, unknown> {
  const ts = Date.parse(t.transaction_timestamp);
  return {
    ...t,
    quantity: typeof t.quantity === 'number' ? t.quantity : null,
    transaction_timestamp: Number.isNaN(ts) ? null : new Date(ts),
    updated_at: Number.isNaN(ts) ? fallbackUpdatedAt : new Date(ts),
  };
}

/**
 * Loads the sample entities into a database, as an operational system would hold them: typed
 * columns, a primary key, and updated_at (transactions: their time; the others: midnight of ds)
 * for incremental loading. Rows stream from the generators in batches, so memory stays flat at
 * any scale. Existing tables of the same names are replaced. Returns rows per table.
 */
export async function seedDatabase(db: Knex, opts: SeedOptions): Promise<Record<string, number>> {
  const counts = computeSampleCounts(opts.scale);
  const dsEpochMs = Date.parse(`${opts.ds}T00:00:00Z`);
  const dsTime = new Date(dsEpochMs);
  const batchSize = opts.batchSize ?? 1000;
  const done: Record<string, number> = {};
  const products = [...generateProducts({ seed: opts.seed, count: counts.products })];
  const rowsOf = (table: SeedTable): Iterable<Record<string, unknown>> => {
    switch (table) {
      case 'customers':
        return map(generateCustomers({ seed: opts.seed, count: counts.customers }), (r) => ({ ...r, updated_at: dsTime }));
      case 'products':
        return products.map((r) => ({ ...r, updated_at: dsTime }));
      case 'locations':
        return map(generateLocations({ seed: opts.seed, count: counts.locations }), (r) => ({ ...r, updated_at: dsTime }));
      case 'sales_transactions':
        return map(
          generateTransactions({ seed: opts.seed, dsEpochMs, days: opts.days, count: counts.transactions, customerCount: counts.customers, products, locationCount: counts.locations }),
          (t) => transactionToDbRow(t, dsTime),
        );
    }
  };
  for (const table of opts.tables) {
    await createTable(db, table, opts.client);
    let n = 0;
    let batch: Record<string, unknown>[] = [];
    const flush = async () => {
      if (!batch.length) return;
      // The generator's duplicate line repeats a transaction id: the primary key keeps the first.
      await db(table).insert(batch).onConflict(SEED_KEYS[table]).ignore();
      n += batch.length;
      batch = [];
      opts.onProgress?.(table, n);
    };
    for (const row of rowsOf(table)) {
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    done[table] = Number((await db(table).count({ n: '*' }))[0]!.n);
  }
  return done;
}

function* map<T, U>(rows: Iterable<T>, f: (row: T) => U): Generator<U> {
  for (const r of rows) yield f(r);
}
