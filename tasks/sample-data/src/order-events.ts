import { splitDailyTransactions, type GenerateDailyTransactionsOptions } from './generate-daily-transactions';
import { createPrng } from './prng';
import type { TransactionRow } from './sample-schema';

const MS_PER_DAY = 86_400_000;

/** What an order event says happened. */
export type OrderEventType = 'order_created' | 'order_corrected';

/**
 * The JSON value of one order event: the transaction line as sales_transactions.csv has it (money
 * as text with 2 decimals, so no consumer reads it as a float), plus what a stream adds.
 */
export interface OrderEventValue {
  readonly event_type: OrderEventType;
  /** 1 when the sale is first delivered; a correction delivered d days later carries 1 + d. */
  readonly version: number;
  /** When it happened, ISO-8601 UTC: the sale's time, or the correction's. */
  readonly event_time: string;
  readonly transaction_id: string;
  readonly customer_id: string;
  readonly product_id: string;
  readonly location_id: string;
  /** A number, but the word "two" in the dirty sale 250, as in the CSV. */
  readonly quantity: number | string;
  readonly unit_price: string;
  readonly discount: string;
  readonly tax_amount: string;
  readonly total_amount: string;
  readonly transaction_timestamp: string;
}

/** One event of the sample stream, before it becomes a Kafka record. */
export interface OrderEvent {
  /** The record key: the transaction id, so every version of a sale goes to one partition, in order. */
  readonly key: string;
  readonly value: OrderEventValue;
  /** The ds of the daily delivery the event belongs to. */
  readonly ds: string;
  /** When the sales system publishes it, in ms, inside its delivery day: the record timestamp of a backfill. */
  readonly publishMs: number;
  /** A late sale: a new sale whose event time is on an earlier day than its delivery. */
  readonly late: boolean;
}

/** What generateOrderEvents needs: the sample universe and the days to publish. */
export interface GenerateOrderEventsOptions extends Omit<GenerateDailyTransactionsOptions, 'dsEpochMs'> {
  /** UTC midnight of the first day, in ms. */
  readonly fromEpochMs: number;
  /** UTC midnight of the last day (included), in ms. */
  readonly toEpochMs: number;
}

const ID = /^TXN(\d{4})(\d{2})(\d{2})-(\d{8})$/;

/** The day a daily transaction id was first delivered (days since 1970) and its number in that day. */
function parseDailyId(id: string): { day: number; n: number } {
  const m = ID.exec(id);
  if (!m) throw new Error(`not a daily transaction id: ${id}`);
  return { day: Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY), n: Number(m[4]) };
}

const isoOf = (ms: number) => new Date(ms).toISOString().slice(0, 19) + 'Z';
const validTime = (text: string): number | undefined => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text) && Number.isFinite(Date.parse(text)) ? Date.parse(text) : undefined);

/** The event of a transaction line of a delivery, published at publishMs. */
export function orderEventOf(row: TransactionRow, deliveryDay: number, publishMs: number): OrderEvent {
  const first = parseDailyId(row.transaction_id).day;
  const corrected = first !== deliveryDay;
  const saleTime = validTime(row.transaction_timestamp);
  // The sales system stamps a correction when it makes it; a sale when it happened. The dirty sale
  // 500 has no readable time of its own, so the event carries its publish time and still lands:
  // standardize rejects it for its transaction_timestamp, as it does the CSV line.
  const eventMs = corrected || saleTime === undefined ? publishMs : saleTime;
  return Object.freeze({
    key: row.transaction_id,
    ds: isoOf(deliveryDay * MS_PER_DAY).slice(0, 10),
    publishMs,
    late: !corrected && Math.floor(eventMs / MS_PER_DAY) < deliveryDay,
    value: Object.freeze({
      event_type: corrected ? 'order_corrected' : 'order_created',
      version: 1 + deliveryDay - first,
      event_time: isoOf(eventMs),
      transaction_id: row.transaction_id,
      customer_id: row.customer_id,
      product_id: row.product_id,
      location_id: row.location_id,
      quantity: row.quantity,
      unit_price: row.unit_price.toFixed(2),
      discount: row.discount.toFixed(2),
      tax_amount: row.tax_amount.toFixed(2),
      total_amount: row.total_amount.toFixed(2),
      transaction_timestamp: row.transaction_timestamp,
    } as const),
  });
}

/**
 * The daily deliveries of the days from..to as one order stream, day after day, in publish order
 * (docs/sample-data.md "Order events on Kafka"): each day's sales at their own time, with the
 * late sales and the corrections of earlier days published at a seeded random second of the day
 * among them. The same lines as `--daily` writes to sales_transactions.csv, the duplicate line
 * included (a producer's retry: same key, same version). Deterministic per seed, days and base
 * count; holds only one day's late sales and corrections (1.5% of a day) in memory.
 */
export function* generateOrderEvents(options: GenerateOrderEventsOptions): Generator<OrderEvent> {
  for (let dayMs = options.fromEpochMs; dayMs <= options.toEpochMs; dayMs += MS_PER_DAY) yield* dayEvents(options, dayMs);
}

function* dayEvents(options: GenerateOrderEventsOptions, dsEpochMs: number): Generator<OrderEvent> {
  const day = Math.floor(dsEpochMs / MS_PER_DAY);
  const { regular, lateAndCorrections } = splitDailyTransactions({ ...options, dsEpochMs });
  const prng = createPrng(options.seed, `order-events/${day}`);
  const extra = [...lateAndCorrections].map((row) => ({ row, at: dsEpochMs + prng.int(0, 86_399) * 1000 }));
  // Stable: two published in the same second keep the delivery's order.
  extra.sort((a, b) => a.at - b.at);
  let next = 0;
  let last = dsEpochMs;
  for (const row of regular) {
    // The duplicate line and the dirty time are published right after the sale before them.
    last = Math.max(last, validTime(row.transaction_timestamp) ?? last);
    for (; next < extra.length && extra[next]!.at <= last; next++) yield orderEventOf(extra[next]!.row, day, extra[next]!.at);
    yield orderEventOf(row, day, last);
  }
  for (; next < extra.length; next++) yield orderEventOf(extra[next]!.row, day, Math.max(last, extra[next]!.at));
}
