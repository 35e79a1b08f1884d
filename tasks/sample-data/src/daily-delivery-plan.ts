import { formatId } from './format-id';

/** Share of a day's regular transactions re-delivered as corrections on a later day. */
export const CORRECTION_RATE = 0.01;

/** Share of a day's regular transactions that arrive late: dated on an earlier day, delivered that day. */
export const LATE_RATE = 0.005;

/** A correction re-delivers a transaction of the 1 to 7 days before the delivery. */
export const CORRECTION_MAX_LAG_DAYS = 7;

/** A late transaction is dated 1 to 3 days before the delivery. */
export const LATE_MAX_LAG_DAYS = 3;

/** Of corrections, this share changes the quantity; the rest change the discount. */
export const QUANTITY_CORRECTION_SHARE = 0.7;

/** Sales by day of the week, Sunday first: weekends sell more. */
export const WEEKDAY_FACTORS: readonly number[] = Object.freeze([1.15, 1, 1, 1, 1, 1.05, 1.25]);

const MS_PER_DAY = 86_400_000;

/** How many transactions of each kind one daily delivery holds. */
export interface DailyDeliveryPlan {
  /** ds as days since 1970-01-01. */
  readonly day: number;
  /** New transactions of ds itself, TXN<yyyymmdd>-00000001 up; the duplicate line comes on top. */
  readonly regular: number;
  /** New transactions dated on one of the LATE_MAX_LAG_DAYS days before ds, numbered after the regular ones. */
  readonly late: number;
  /** Transactions of earlier daily deliveries re-delivered with a changed quantity or discount. */
  readonly corrections: number;
}

/**
 * The make-up of the daily delivery of a day: `baseCount` (10,000 x scale) transactions on a
 * weekday, more at the weekend (WEEKDAY_FACTORS), plus late ones and corrections in proportion to
 * the base count (at least one each). Pure: depends on the day and the base count only.
 */
export function planDailyDelivery(dsEpochMs: number, baseCount: number): DailyDeliveryPlan {
  const day = Math.floor(dsEpochMs / MS_PER_DAY);
  const weekday = new Date(day * MS_PER_DAY).getUTCDay();
  return Object.freeze({
    day,
    regular: Math.round(baseCount * (WEEKDAY_FACTORS[weekday] as number)),
    late: Math.max(1, Math.round(baseCount * LATE_RATE)),
    corrections: Math.max(1, Math.round(baseCount * CORRECTION_RATE)),
  });
}

/**
 * The id of the n-th transaction first delivered on a day: "TXN20261126-00000001". The day is part
 * of the id, so ids of different days never collide; the legacy 8-digit ids of the history
 * delivery (TXN00000001) have another shape and never collide with these either.
 */
export function formatDailyTransactionId(day: number, n: number): string {
  // Formatting the date costs more than the rest of a row; a delivery asks for few days.
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = `TXN${new Date(day * MS_PER_DAY).toISOString().slice(0, 10).replace(/-/g, '')}-`;
  }
  return cachedPrefix + formatId('', n, 8);
}

let cachedDay = Number.NaN;
let cachedPrefix = '';
