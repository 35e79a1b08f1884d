import { computeTransactionAmounts, DISCOUNT_PERCENTS } from './compute-amounts';
import { DUPLICATE_AFTER_TRANSACTION_ID, dirtyRowsById, type DirtyRow } from './dirty-rows';
import { drawSale, saleToTransaction, type SaleDraw, type SaleUniverse } from './draw-sale';
import {
  CORRECTION_MAX_LAG_DAYS,
  formatDailyTransactionId,
  LATE_MAX_LAG_DAYS,
  planDailyDelivery,
  QUANTITY_CORRECTION_SHARE,
  type DailyDeliveryPlan,
} from './daily-delivery-plan';
import { createPrng } from './prng';
import { SAMPLE_FILES, type TransactionRow } from './sample-schema';

/** What generateDailyTransactions needs. */
export interface GenerateDailyTransactionsOptions extends SaleUniverse {
  readonly seed: number;
  /** UTC midnight of ds, in ms: the day whose sales the delivery holds. */
  readonly dsEpochMs: number;
  /** Transactions of a weekday (10,000 x scale); see planDailyDelivery. */
  readonly baseCount: number;
}

const SECONDS_PER_DAY = 86_400;
const MS_PER_DAY = SECONDS_PER_DAY * 1000;

/**
 * Regular transactions are drawn in blocks of this many, each block from its own stream, so a
 * later day can regenerate transaction n of an earlier day (to correct it) by replaying at most
 * one block instead of the whole day.
 */
const BLOCK = 1024;

/** The dirty rows of the transactions file by sequence number: TXN00000250 is n = 250 of every day. */
const DIRTY_BY_SEQUENCE: ReadonlyMap<number, DirtyRow> = new Map(
  [...dirtyRowsById(SAMPLE_FILES.transactions).values()].map((row) => [Number(row.id.replace(/\D/g, '')), row]),
);
const DUPLICATED_SEQUENCE = [...DIRTY_BY_SEQUENCE].find(([, row]) => row.kind === 'duplicate_row')?.[0];
const DUPLICATE_AFTER_SEQUENCE = Number(DUPLICATE_AFTER_TRANSACTION_ID.replace(/\D/g, ''));

/**
 * Yields the nightly delivery of ds, as a sales system would hand it over (see
 * docs/sample-data.md):
 *
 * 1. the regular transactions of ds (00:00 to 24:00 UTC) in time order, TXN<ds>-00000001 up,
 *    with the dirty rows of DIRTY_ROWS at the same sequence numbers as in the history delivery
 *    (250 bad quantity, 500 bad timestamp, 750 repeated after 1000);
 * 2. late transactions: new ids numbered after the regular ones, dated 1 to 3 days before ds;
 * 3. corrections: transactions that the daily delivery of one of the 7 days before ds really
 *    carried (regenerated here, never a dirty one), with a changed quantity or discount and their
 *    tax and total recomputed; each at most once per delivery.
 *
 * Deterministic per seed, ds and base count.
 */
export function* generateDailyTransactions(options: GenerateDailyTransactionsOptions): Generator<TransactionRow> {
  const plan = planDailyDelivery(options.dsEpochMs, options.baseCount);
  yield* regularTransactions(options, plan);
  yield* lateTransactions(options, plan);
  yield* corrections(options, plan);
}

/** Parts 1 and 2 of generateDailyTransactions apart: the regular sales (with the duplicate line), and the late sales followed by the corrections. */
export function splitDailyTransactions(options: GenerateDailyTransactionsOptions): { readonly regular: Generator<TransactionRow>; readonly lateAndCorrections: Generator<TransactionRow> } {
  const plan = planDailyDelivery(options.dsEpochMs, options.baseCount);
  return {
    regular: regularTransactions(options, plan),
    lateAndCorrections: (function* () {
      yield* lateTransactions(options, plan);
      yield* corrections(options, plan);
    })(),
  };
}

function* regularTransactions(options: GenerateDailyTransactionsOptions, plan: DailyDeliveryPlan): Generator<TransactionRow> {
  let duplicateRow: TransactionRow | undefined;
  for (const [n, sale, offsetSeconds] of timedSales(options, plan, 1, plan.regular)) {
    const row = regularTransaction(options, plan, n, sale, offsetSeconds);
    yield row;
    if (n === DUPLICATED_SEQUENCE) duplicateRow = row;
    if (n === DUPLICATE_AFTER_SEQUENCE && duplicateRow !== undefined) yield duplicateRow;
  }
}

/**
 * The n-th regular transaction of a day's delivery, as that day's generator wrote it: replays the
 * block that holds n.
 */
export function regularTransactionOfDay(universe: GenerateDailyTransactionsOptions, plan: DailyDeliveryPlan, n: number): TransactionRow {
  let last: [number, SaleDraw, number] | undefined;
  for (const drawn of timedSales(universe, plan, Math.floor((n - 1) / BLOCK) * BLOCK + 1, n)) last = drawn;
  const [, sale, offsetSeconds] = last as [number, SaleDraw, number];
  return regularTransaction(universe, plan, n, sale, offsetSeconds);
}

/**
 * Sales `from` to `to` of a day with their second of the day, `from` being the first of a block:
 * a sale and a time per transaction, each block from its own stream.
 */
function* timedSales(universe: GenerateDailyTransactionsOptions, plan: DailyDeliveryPlan, from: number, to: number): Generator<[number, SaleDraw, number]> {
  let prng = createPrng(universe.seed, `daily-transactions/${plan.day}/${Math.floor((from - 1) / BLOCK)}`);
  for (let n = from; n <= to; n++) {
    if (n > from && (n - 1) % BLOCK === 0) prng = createPrng(universe.seed, `daily-transactions/${plan.day}/${(n - 1) / BLOCK}`);
    const sale = drawSale(prng, universe);
    // Stratified over the day, as in the history delivery: ids stay in time order.
    const offsetSeconds = Math.min(SECONDS_PER_DAY - 1, Math.floor(((n - 1) * SECONDS_PER_DAY + Math.floor(prng.next() * SECONDS_PER_DAY)) / plan.regular));
    yield [n, sale, offsetSeconds];
  }
}

function regularTransaction(universe: SaleUniverse, plan: DailyDeliveryPlan, n: number, sale: SaleDraw, offsetSeconds: number): TransactionRow {
  return saleToTransaction(formatDailyTransactionId(plan.day, n), sale, universe, plan.day * MS_PER_DAY + offsetSeconds * 1000, DIRTY_BY_SEQUENCE.get(n));
}

function* lateTransactions(options: GenerateDailyTransactionsOptions, plan: DailyDeliveryPlan): Generator<TransactionRow> {
  const prng = createPrng(options.seed, `daily-late/${plan.day}`);
  for (let k = 1; k <= plan.late; k++) {
    const lag = prng.int(1, LATE_MAX_LAG_DAYS);
    const second = prng.int(0, SECONDS_PER_DAY - 1);
    const sale = drawSale(prng, options);
    yield saleToTransaction(formatDailyTransactionId(plan.day, plan.regular + k), sale, options, (plan.day - lag) * MS_PER_DAY + second * 1000);
  }
}

function* corrections(options: GenerateDailyTransactionsOptions, plan: DailyDeliveryPlan): Generator<TransactionRow> {
  const prng = createPrng(options.seed, `daily-corrections/${plan.day}`);
  const chosen = new Set<string>();
  for (let k = 1; k <= plan.corrections; k++) {
    // Redraw a pick that is dirty or already corrected in this delivery; a bounded number of times.
    for (let attempt = 0; attempt < 20; attempt++) {
      const lag = prng.int(1, CORRECTION_MAX_LAG_DAYS);
      const earlier = planDailyDelivery((plan.day - lag) * MS_PER_DAY, options.baseCount);
      const n = prng.int(1, earlier.regular);
      const quantityChange = prng.chance(QUANTITY_CORRECTION_SHARE);
      const draw = prng.next();
      const key = `${earlier.day}/${n}`;
      if (DIRTY_BY_SEQUENCE.has(n) || chosen.has(key)) continue;
      chosen.add(key);
      yield correct(regularTransactionOfDay(options, earlier, n), quantityChange, draw);
      break;
    }
  }
}

/**
 * The transaction with another quantity (1 to 10, never the same) or another discount, its tax and
 * total recomputed as the sales system would; id, customer, product, price and time unchanged.
 */
function correct(original: TransactionRow, quantityChange: boolean, draw: number): TransactionRow {
  const quantity = original.quantity as number;
  const discountPercent = Math.round(original.discount * 100);
  let newQuantity = quantity;
  let newDiscount = discountPercent;
  if (quantityChange) {
    const other = 1 + Math.floor(draw * 9);
    newQuantity = other >= quantity ? other + 1 : other;
  } else {
    const others = DISCOUNT_PERCENTS.filter((percent) => percent !== discountPercent);
    newDiscount = others[Math.floor(draw * others.length)] as number;
  }
  const amounts = computeTransactionAmounts(newQuantity, Math.round(original.unit_price * 100), newDiscount);
  return {
    ...original,
    quantity: newQuantity,
    discount: newDiscount / 100,
    tax_amount: amounts.taxCents / 100,
    total_amount: amounts.totalCents / 100,
  };
}
