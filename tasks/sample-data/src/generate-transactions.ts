import { DUPLICATE_AFTER_TRANSACTION_ID, dirtyRowsById } from './dirty-rows';
import { drawSale, saleToTransaction } from './draw-sale';
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
 * of DIRTY_ROWS, so `count + 1` rows in all: the history delivery (an initial load; see
 * generateDailyTransactions for a nightly one). Each references an existing customer,
 * product and location and carries its product's unit_price; amounts follow
 * computeTransactionAmounts. Timestamps are stratified: transaction i falls at a random
 * second of the i-th of `count` equal slices of [ds - days, ds), which is uniform
 * overall, keeps ids in time order and needs no sorting, so rows stream with flat memory.
 */
export function* generateTransactions(options: GenerateTransactionsOptions): Generator<TransactionRow> {
  const { count } = options;
  const prng = createPrng(options.seed, 'transactions');
  const dirtyRows = dirtyRowsById(SAMPLE_FILES.transactions);
  const duplicated = [...dirtyRows.values()].find((row) => row.kind === 'duplicate_row');
  const spanSeconds = options.days * SECONDS_PER_DAY;
  const startSeconds = options.dsEpochMs / 1000 - spanSeconds;
  let duplicateRow: TransactionRow | undefined;

  for (let n = 1; n <= count; n++) {
    const id = formatId('TXN', n, 8);
    const sale = drawSale(prng, options);
    const offsetSeconds = Math.min(spanSeconds - 1, Math.floor(((n - 1) * spanSeconds + Math.floor(prng.next() * spanSeconds)) / count));
    const row = saleToTransaction(id, sale, options, (startSeconds + offsetSeconds) * 1000, dirtyRows.get(id));
    yield row;
    if (id === duplicated?.id) duplicateRow = row;
    if (id === DUPLICATE_AFTER_TRANSACTION_ID && duplicateRow !== undefined) yield duplicateRow;
  }
}
