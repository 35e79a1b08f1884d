/**
 * The warehouse tables the loader fills, mirroring sql/<dialect>/create_star_schema.sql and the
 * curated zone's tables (one curated dataset per table, same column names).
 */

/** Warehouse engine, as in the config's warehouse.client. */
export type WarehouseDialect = 'sqlite' | 'postgres' | 'mysql';

/** How a value is written: each maps to the DDL type of the column in every dialect. */
export type WarehouseColumnType = 'text' | 'int' | 'decimal' | 'date' | 'timestamp' | 'bool';

export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  /** Digits after the point, for decimal columns (DECIMAL(p, scale)). */
  readonly scale?: number;
}

export interface WarehouseTable {
  readonly name: string;
  readonly kind: 'dimension' | 'fact';
  /** Primary key: the surrogate key of a dimension, the grain of the fact. */
  readonly key: string;
  readonly columns: readonly WarehouseColumn[];
}

const text = (name: string): WarehouseColumn => ({ name, type: 'text' });
const int = (name: string): WarehouseColumn => ({ name, type: 'int' });
const decimal = (name: string, scale: number): WarehouseColumn => ({ name, type: 'decimal', scale });

/** Dimensions first: the fact's foreign keys need their rows. */
export const WAREHOUSE_TABLES: readonly WarehouseTable[] = Object.freeze([
  {
    name: 'dim_date',
    kind: 'dimension',
    key: 'date_key',
    columns: [
      int('date_key'),
      { name: 'full_date', type: 'date' },
      int('day'),
      int('day_of_week'),
      text('day_name'),
      int('week_of_year'),
      int('month'),
      text('month_name'),
      int('quarter'),
      int('year'),
      { name: 'is_weekend', type: 'bool' },
    ],
  },
  {
    name: 'dim_customer',
    kind: 'dimension',
    key: 'customer_key',
    columns: ['customer_key', 'customer_id', 'first_name', 'last_name', 'email', 'phone', 'city', 'state', 'zip_code', 'country'].map(
      (c) => (c === 'customer_key' ? int(c) : text(c)),
    ),
  },
  {
    name: 'dim_product',
    kind: 'dimension',
    key: 'product_key',
    columns: [
      int('product_key'),
      text('product_id'),
      text('product_name'),
      text('category'),
      text('subcategory'),
      text('brand'),
      decimal('unit_cost', 2),
      decimal('unit_price', 2),
    ],
  },
  {
    name: 'dim_location',
    kind: 'dimension',
    key: 'location_key',
    columns: ['location_key', 'location_id', 'store_name', 'city', 'state', 'zip_code', 'country', 'region'].map((c) =>
      c === 'location_key' ? int(c) : text(c),
    ),
  },
  {
    name: 'fact_sales',
    kind: 'fact',
    key: 'transaction_id',
    columns: [
      text('transaction_id'),
      int('date_key'),
      int('customer_key'),
      int('product_key'),
      int('location_key'),
      int('quantity'),
      decimal('unit_price', 2),
      decimal('discount', 4),
      decimal('tax_amount', 2),
      decimal('total_amount', 2),
      { name: 'transaction_timestamp', type: 'timestamp' },
      { name: 'batch_ds', type: 'date' },
    ],
  },
] satisfies WarehouseTable[]);
