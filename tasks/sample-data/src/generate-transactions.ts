import { computeTransactionAmounts, DISCOUNT_PERCENTS } from './compute-amounts';
import { DUPLICATE_AFTER_TRANSACTION_ID, dirtyRowsById } from './dirty-rows';
import { formatId } from './format-id';
import { createPrng } from './prng';
import { SAMPLE_FILES, type ProductRow, type TransactionRow } from './sample-schema';

/** What generateTransactions needs. */
export interface GenerateTransactionsOptions {
  readonly seed: number;
  /** UTC midnight of ds, in ms; every timestamp is before it. */
  readonly dsEpochMs: number;
  /** Timestamps fall in the `days` days before ds. */
  readonly days: number;
  /** Transactions to generate; the duplicate line comes on top. */
  readonly count: number;
  /** Customers CUST000001 to CUST<customerCount> exist. */
  readonly customerCount: number;
  /** The generated products; a transaction copies its product's unit_price. */
  readonly products: readonly ProductRow[];
  /** Locations LOC0001 to LOC<locationCount> exist. */
  readonly locationCount: number;
}

const SECONDS_PER_DAY = 86_400;

/**
 * Yields transactions TXN00000001 to TXN<count> in time order, plus the duplicate line
 * of DIRTY_ROWS, so `count + 1` rows in all. Each references an existing customer,
 * product and location and carries its product's unit_price; amounts follow
 * computeTransactionAmounts. Timestamps are stratified: transaction i falls at a random
 * second of the i-th of `count` equal slices of [ds - days, ds), which is uniform
 * overall, keeps ids in time order and needs no sorting, so rows stream with flat memory.
 */
export function* generateTransactions(options: GenerateTransactionsOptions): Generator<TransactionRow> {
  const { count, customerCount, locationCount, products } = options;
  const prng = createPrng(options.seed, 'transactions');
  const dirtyRows = dirtyRowsById(SAMPLE_FILES.transactions);
  const duplicated = [...dirtyRows.values()].find((row) => row.kind === 'duplicate_row');
  const priceCents = products.map((product) => Math.round(product.unit_price * 100));
  const spanSeconds = options.days * SECONDS_PER_DAY;
  const startSeconds = options.dsEpochMs / 1000 - spanSeconds;
  const nonZeroDiscounts = DISCOUNT_PERCENTS.filter((percent) => percent > 0);
  let duplicateRow: TransactionRow | undefined;

  for (let n = 1; n <= count; n++) {
    const id = formatId('TXN', n, 8);
    const customer = prng.int(1, customerCount);
    // Squaring the draw skews sales towards the first products: a few best sellers, a long tail.
    const productIndex = Math.floor(prng.next() ** 2 * products.length);
    const location = prng.int(1, locationCount);
    // Cubing skews quantity towards 1 to 3 items while still reaching 10.
    const quantity = 1 + Math.floor(prng.next() ** 3 * 10);
    const discountPercent = prng.chance(0.75) ? 0 : prng.pick(nonZeroDiscounts);
    const offsetSeconds = Math.min(spanSeconds - 1, Math.floor(((n - 1) * spanSeconds + Math.floor(prng.next() * spanSeconds)) / count));

    const dirt = dirtyRows.get(id);
    // The word stands for 2, so the amounts are those of 2 items and only the quantity column is bad.
    const billedQuantity = dirt?.kind === 'non_numeric_quantity' ? 2 : quantity;
    const unitPriceCents = priceCents[productIndex] as number;
    const amounts = computeTransactionAmounts(billedQuantity, unitPriceCents, discountPercent);
    const row: TransactionRow = {
      transaction_id: id,
      customer_id: formatId('CUST', customer, 6),
      product_id: (products[productIndex] as ProductRow).product_id,
      location_id: formatId('LOC', location, 4),
      quantity: dirt?.kind === 'non_numeric_quantity' ? (dirt.value ?? 'two') : billedQuantity,
      unit_price: unitPriceCents / 100,
      discount: discountPercent / 100,
      tax_amount: amounts.taxCents / 100,
      total_amount: amounts.totalCents / 100,
      transaction_timestamp:
        dirt?.kind === 'unparseable_timestamp' ? (dirt.value ?? '') : formatTimestamp((startSeconds + offsetSeconds) * 1000),
    };
    yield row;
    if (id === duplicated?.id) duplicateRow = row;
    if (id === DUPLICATE_AFTER_TRANSACTION_ID && duplicateRow !== undefined) yield duplicateRow;
  }
}

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC: ISO 8601 without milliseconds. */
function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19) + 'Z';
}
