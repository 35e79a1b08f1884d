/**
 * Test helpers (not built into dist): small curated partitions written into a lake, and a
 * dialect-neutral snapshot of the warehouse tables to compare loads and dialects.
 */
import path from 'node:path';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { readConfig, type PipelineConfig, type WarehouseConfig } from '@salesflow/config';
import { datasets, type Lake } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import type { Knex } from 'knex';
import type { LoadStarSchemaContext } from './load-star-schema';
import { warehouseTablesOf } from './warehouse-tables';

/** The demo config (the default star schema), read once. */
export const DEMO_CONFIG: PipelineConfig = readConfig(path.resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined).config;

type Row = Record<string, unknown>;

/** Curated column kinds per table, as build-star-schema writes them (contract). */
export const CURATED_COLUMNS: Readonly<Record<string, readonly ColumnDef[]>> = {
  dim_date: [
    { name: 'date_key', kind: 'int32', nullable: false },
    { name: 'full_date', kind: 'date' },
    { name: 'day', kind: 'int32' },
    { name: 'day_of_week', kind: 'int32' },
    { name: 'day_name', kind: 'string' },
    { name: 'week_of_year', kind: 'int32' },
    { name: 'month', kind: 'int32' },
    { name: 'month_name', kind: 'string' },
    { name: 'quarter', kind: 'int32' },
    { name: 'year', kind: 'int32' },
    { name: 'is_weekend', kind: 'bool' },
    { name: 'is_holiday', kind: 'bool' },
    { name: 'fiscal_year', kind: 'int32' },
    { name: 'fiscal_quarter', kind: 'int32' },
  ],
  dim_customer: [
    { name: 'customer_key', kind: 'int32', nullable: false },
    ...['customer_id', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country'].map((name) => ({ name, kind: 'string' as const })),
    { name: 'valid_from', kind: 'date' },
    { name: 'valid_to', kind: 'date' },
    { name: 'is_current', kind: 'bool' },
    { name: 'is_inferred', kind: 'bool' },
  ],
  dim_product: [
    { name: 'product_key', kind: 'int32', nullable: false },
    ...['product_id', 'product_name', 'category', 'subcategory', 'brand'].map((name) => ({ name, kind: 'string' as const })),
    { name: 'unit_cost', kind: 'float64' },
    { name: 'unit_price', kind: 'float64' },
    { name: 'is_inferred', kind: 'bool' },
  ],
  dim_location: [
    { name: 'location_key', kind: 'int32', nullable: false },
    ...['location_id', 'store_name', 'city', 'state', 'zip_code', 'country', 'region'].map((name) => ({ name, kind: 'string' as const })),
    { name: 'is_inferred', kind: 'bool' },
  ],
  fact_sales: [
    { name: 'transaction_id', kind: 'string', nullable: false },
    { name: 'date_key', kind: 'int32' },
    { name: 'customer_key', kind: 'int32' },
    { name: 'product_key', kind: 'int32' },
    { name: 'location_key', kind: 'int32' },
    { name: 'quantity', kind: 'int32' },
    { name: 'unit_price', kind: 'float64' },
    { name: 'discount', kind: 'float64' },
    { name: 'tax_amount', kind: 'float64' },
    { name: 'total_amount', kind: 'float64' },
    { name: 'transaction_timestamp', kind: 'timestamp' },
    { name: 'batch_ds', kind: 'string' },
  ],
};

export interface CuratedData {
  readonly dim_date: readonly Row[];
  readonly dim_customer: readonly Row[];
  readonly dim_product: readonly Row[];
  readonly dim_location: readonly Row[];
  readonly fact_sales: readonly Row[];
}

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A dim_date row for 'YYYY-MM-DD' (week_of_year is not checked by the tests, so a fixed value is fine). */
function dateRow(iso: string): Row {
  const d = new Date(`${iso}T00:00:00Z`);
  const dow = ((d.getUTCDay() + 6) % 7) + 1;
  const month = d.getUTCMonth() + 1;
  return {
    date_key: Number(iso.replace(/-/g, '')),
    full_date: d.getTime(),
    day: d.getUTCDate(),
    day_of_week: dow,
    day_name: DAY_NAMES[dow - 1],
    week_of_year: 48,
    month,
    month_name: MONTH_NAMES[month - 1],
    quarter: Math.ceil(month / 3),
    year: d.getUTCFullYear(),
    is_weekend: dow >= 6,
    is_holiday: iso.endsWith('-12-25'),
    fiscal_year: d.getUTCFullYear(),
    fiscal_quarter: Math.ceil(month / 3),
  };
}

const unknownText = (cols: readonly string[]) => Object.fromEntries(cols.map((c) => [c, 'Unknown']));
const BEGINNING = '1900-01-01';
/** The history columns of a current, not inferred, version starting on `from`. */
const current = (from: string): Row => ({ valid_from: Date.parse(from), valid_to: Date.parse('9999-12-31'), is_current: true, is_inferred: false });

/** The dimensions as of any ds: three customers, three products, two stores, four dates, each with its unknown member. */
export function sampleDimensions(): Omit<CuratedData, 'fact_sales'> {
  return {
    dim_date: [
      { date_key: -1, full_date: null, day_name: 'Unknown', month_name: 'Unknown' },
      dateRow('2026-12-25'),
      dateRow('2026-11-25'),
      dateRow('2026-11-26'),
      dateRow('2026-11-28'),
      dateRow('2026-12-01'),
    ],
    dim_customer: [
      { customer_key: -1, customer_id: 'UNKNOWN', ...unknownText(['first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country']), ...current(BEGINNING) },
      { customer_key: 1, customer_id: 'C001', first_name: 'tok_a1', last_name: 'tok_b1', email: 'x1@example.com', phone: 'XXX-XXX-0001', address: 'h1', city: 'Austin', state: 'TX', zip_code: '73301', country: 'US', ...current('2026-11-01') },
      { customer_key: 2, customer_id: 'C002', first_name: 'tok_a2', last_name: 'tok_b2', email: 'x2@example.com', phone: 'XXX-XXX-0002', address: 'h2', city: 'Boston', state: 'MA', zip_code: '02101', country: 'US', ...current('2026-11-01') },
      { customer_key: 3, customer_id: 'c002', first_name: 'tok_a3', last_name: 'tok_b3', email: null, phone: null, address: null, city: 'Chicago', state: 'IL', zip_code: '60601', country: 'US', ...current('2026-11-01') },
    ],
    dim_product: [
      { product_key: -1, product_id: 'UNKNOWN', ...unknownText(['product_name', 'category', 'subcategory', 'brand']), unit_cost: null, unit_price: null, is_inferred: false },
      { product_key: 1, product_id: 'P001', product_name: 'Laptop', category: 'Electronics', subcategory: 'Computers', brand: 'Acme', unit_cost: 700, unit_price: 999.99, is_inferred: false },
      { product_key: 2, product_id: 'P002', product_name: 'T-Shirt; "crew"', category: 'Clothing', subcategory: 'Tops', brand: "O'Neil", unit_cost: 4.5, unit_price: 19.99, is_inferred: false },
      { product_key: 3, product_id: 'P003', product_name: 'Headphones', category: 'Electronics', subcategory: 'Audio', brand: 'Acme', unit_cost: 20.004999, unit_price: 49.5, is_inferred: true },
    ],
    dim_location: [
      { location_key: -1, location_id: 'UNKNOWN', ...unknownText(['store_name', 'city', 'state', 'zip_code', 'country', 'region']), is_inferred: false },
      { location_key: 1, location_id: 'L001', store_name: 'Downtown', city: 'Austin', state: 'TX', zip_code: '73301', country: 'US', region: 'South', is_inferred: false },
      { location_key: 2, location_id: 'L002', store_name: 'Harbor', city: 'Boston', state: 'MA', zip_code: '02101', country: 'US', region: 'Northeast', is_inferred: false },
    ],
  };
}

/** A fact row; timestamps are UTC. */
export function fact(id: string, batchDs: string, keys: [date: number, customer: number, product: number, location: number], qty: number, total: number, at: string): Row {
  return {
    transaction_id: id,
    date_key: keys[0],
    customer_key: keys[1],
    product_key: keys[2],
    location_key: keys[3],
    quantity: qty,
    unit_price: Math.round((total / qty) * 100) / 100,
    discount: 0.1,
    tax_amount: Math.round(total * 0.08 * 100) / 100,
    total_amount: total,
    transaction_timestamp: Date.parse(at),
    batch_ds: batchDs,
  };
}

/** Facts of two batches: 2026-11-25 (2 rows) and 2026-11-26 (5 rows, including unknown customer, product and date). */
export function sampleFacts(ds: '2026-11-25' | '2026-11-26'): Row[] {
  if (ds === '2026-11-25') {
    return [
      fact('T0001', ds, [20261125, 1, 1, 1], 1, 999.99, '2026-11-25T10:15:00.123Z'),
      fact('T0002', ds, [20261125, 2, 2, 2], 3, 59.97, '2026-11-25T23:59:59.999Z'),
    ];
  }
  return [
    fact('T0003', ds, [20261126, 1, 3, 1], 2, 99, '2026-11-26T00:00:00.000Z'),
    fact('T0004', ds, [20261126, 3, 2, 2], 1, 19.99, '2026-11-26T08:30:00.000Z'),
    fact('T0005', ds, [20261126, -1, 1, 2], 1, 999.99, '2026-11-26T09:00:00.000Z'),
    fact('T0006', ds, [20261126, 2, -1, -1], 4, 40.004, '2026-11-26T12:00:00.000Z'),
    fact('T0007', ds, [-1, 2, 3, 1], 1, 49.5, '2026-11-26T13:00:00.000Z'),
  ];
}

/** The sample curated data for ds: the dimensions and that ds's facts. */
export function sampleCurated(ds: '2026-11-25' | '2026-11-26'): CuratedData {
  return { ...sampleDimensions(), fact_sales: sampleFacts(ds) };
}

/** Writes and commits curated/<table>/dt=<ds> for every table of data, as build-star-schema would. */
export async function writeCurated(lake: Lake, ds: string, data: Partial<CuratedData>): Promise<void> {
  for (const [table, rows] of Object.entries(data)) {
    const b = new BatchBuilder(CURATED_COLUMNS[table]!);
    for (const r of rows as Row[]) b.appendObject(r);
    const w = lake.openPartition({ dataset: datasets.curated(table), ds, step: 'build-star-schema', runId: 'test', schema: b.schema });
    await w.write(b.finish());
    await w.commit({});
  }
}

/** A step context loading into the given warehouse. */
export function loadContext(lake: Lake, ds: string, warehouse: Partial<WarehouseConfig> & Pick<WarehouseConfig, 'client'>): LoadStarSchemaContext {
  const config = { ...DEMO_CONFIG, warehouse: { batch_size: 500, mysql_bulk: 'load_data', ...warehouse } } as PipelineConfig;
  return { ds, lake, log: silentLogger, config };
}

/**
 * Every warehouse table's rows ordered by key, with values normalized so dialects compare:
 * decimals and ints as numbers, booleans as booleans, dates 'YYYY-MM-DD', timestamps ISO UTC.
 */
export async function snapshotWarehouse(db: Knex, config: PipelineConfig = DEMO_CONFIG): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const t of warehouseTablesOf(config)) {
    const rows = (await db(t.name).select(t.columns.map((c) => c.name)).orderBy(t.key)) as Row[];
    out[t.name] = rows.map((r) =>
      Object.fromEntries(
        t.columns.map((c) => {
          const v = r[c.name];
          if (v === null || v === undefined) return [c.name, null];
          switch (c.type) {
            case 'int':
            case 'float':
            case 'decimal':
              return [c.name, Number(v)];
            case 'bool':
              return [c.name, Boolean(Number(v))];
            case 'date':
              return [c.name, v instanceof Date ? v.toISOString().slice(0, 10) : String(v)];
            case 'timestamp':
              return [c.name, v instanceof Date ? v.toISOString() : new Date(`${String(v).replace(' ', 'T')}Z`).toISOString()];
            default:
              return [c.name, v];
          }
        }),
      ),
    );
  }
  return out;
}
