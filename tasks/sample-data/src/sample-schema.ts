/** File names written into the landing folder, in the order they are written. */
export const SAMPLE_FILES = Object.freeze({
  customers: 'customers.csv',
  products: 'products.json',
  locations: 'locations.ndjson',
  transactions: 'sales_transactions.csv',
} as const);

/** Header of customers.csv, in column order. */
export const CUSTOMER_COLUMNS = Object.freeze([
  'customer_id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'address',
  'city',
  'state',
  'zip_code',
  'country',
] as const);

/** One customers.csv row. Every value is text: zip codes keep their leading zeros. */
export type CustomerRow = Readonly<Record<(typeof CUSTOMER_COLUMNS)[number], string>>;

/** Keys of each object in products.json, in the order they are written. */
export const PRODUCT_COLUMNS = Object.freeze([
  'product_id',
  'product_name',
  'category',
  'subcategory',
  'brand',
  'unit_cost',
  'unit_price',
] as const);

/** One products.json object. Money is in dollars with at most 2 decimals; unit_cost < unit_price. */
export interface ProductRow {
  readonly product_id: string;
  readonly product_name: string;
  readonly category: string;
  readonly subcategory: string;
  readonly brand: string;
  readonly unit_cost: number;
  readonly unit_price: number;
}

/** Keys of each line of locations.ndjson, in the order they are written. */
export const LOCATION_COLUMNS = Object.freeze([
  'location_id',
  'store_name',
  'address',
  'city',
  'state',
  'zip_code',
  'country',
  'region',
] as const);

/** One locations.ndjson line. */
export type LocationRow = Readonly<Record<(typeof LOCATION_COLUMNS)[number], string>>;

/** Header of sales_transactions.csv, in column order. */
export const TRANSACTION_COLUMNS = Object.freeze([
  'transaction_id',
  'customer_id',
  'product_id',
  'location_id',
  'quantity',
  'unit_price',
  'discount',
  'tax_amount',
  'total_amount',
  'transaction_timestamp',
] as const);

/**
 * One sales_transactions.csv row before formatting. `quantity` is a string and
 * `transaction_timestamp` unparseable only in the rows listed in DIRTY_ROWS.
 */
export interface TransactionRow {
  readonly transaction_id: string;
  readonly customer_id: string;
  readonly product_id: string;
  readonly location_id: string;
  readonly quantity: number | string;
  readonly unit_price: number;
  readonly discount: number;
  readonly tax_amount: number;
  readonly total_amount: number;
  /** `YYYY-MM-DDTHH:MM:SSZ`, UTC. */
  readonly transaction_timestamp: string;
}
