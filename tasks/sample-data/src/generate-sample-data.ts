import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DIRTY_ROWS } from './dirty-rows';
import { generateCustomers } from './generate-customers';
import { generateLocations } from './generate-locations';
import { generateProducts } from './generate-products';
import { generateDailyTransactions } from './generate-daily-transactions';
import { generateTransactions } from './generate-transactions';
import { planDailyDelivery, type DailyDeliveryPlan } from './daily-delivery-plan';
import { computeSampleCounts, type SampleCounts } from './sample-counts';
import type { SampleDataConfig } from './sample-data-config';
import type { SampleDataLogger } from './sample-data-logger';
import { CUSTOMER_COLUMNS, SAMPLE_FILES, TRANSACTION_COLUMNS } from './sample-schema';
import { transactionToCsvFields } from './transaction-to-csv-fields';
import { writeCsv } from './write-csv';
import { writeJsonArray } from './write-json-array';
import { writeNdjson } from './write-ndjson';

/** What the generator runs with besides its config. */
export interface SampleDataContext {
  readonly log: SampleDataLogger;
  /** Clock in ms, only for progress lines; the data never depends on it. */
  readonly now?: () => number;
  /** Least time between two progress lines; default 10 s. */
  readonly progressIntervalMs?: number;
}

/** One file written. */
export interface SampleFileResult {
  readonly file: string;
  /** Data rows: CSV lines after the header, JSON array elements, NDJSON lines. */
  readonly rows: number;
  readonly bytes: number;
}

/** What a run wrote. */
export interface SampleDataResult {
  readonly outDir: string;
  readonly seed: number;
  readonly ds: string;
  readonly scale: number;
  readonly days: number;
  /** True for a nightly delivery (--daily), false for the history delivery. */
  readonly daily: boolean;
  /**
   * Entities generated. History: sales_transactions.csv holds counts.transactions lines plus the
   * duplicate. Daily: counts.transactions is the weekday base; see `delivery`.
   */
  readonly counts: SampleCounts;
  /** A daily delivery's transactions by kind: regular + late + corrections, plus the duplicate line. */
  readonly delivery?: DailyDeliveryPlan;
  readonly files: readonly SampleFileResult[];
  /** Number of DIRTY_ROWS entries written. */
  readonly dirtyRows: number;
}

/**
 * Writes customers.csv, products.json, locations.ndjson and sales_transactions.csv into
 * config.outDir: the history delivery, or with config.daily the nightly delivery of ds. Rows stream from the generators to disk, so memory does not grow with
 * the scale; each file appears complete or not at all.
 */
export async function generateSampleData(config: SampleDataConfig, ctx: SampleDataContext): Promise<SampleDataResult> {
  const outDir = resolve(config.outDir);
  const counts = computeSampleCounts(config.scale);
  const now = ctx.now ?? Date.now;
  const { seed } = config;
  await mkdir(outDir, { recursive: true });
  ctx.log.info(config.daily ? 'generating the daily sample delivery' : 'generating sample data', { outDir, seed, scale: config.scale, days: config.days, ...counts });

  const files: SampleFileResult[] = [];
  const record = async (file: string, rows: number): Promise<void> => {
    files.push(Object.freeze({ file, rows, bytes: (await stat(join(outDir, file))).size }));
  };

  const day = Math.floor(config.dsEpochMs / 86_400_000);
  const customers = mapRows(generateCustomers({ seed, count: counts.customers, ...(config.daily ? { asOfDay: day } : {}) }), (row) => CUSTOMER_COLUMNS.map((column) => row[column]));
  await record(SAMPLE_FILES.customers, await writeCsv(join(outDir, SAMPLE_FILES.customers), CUSTOMER_COLUMNS, customers));

  // Products are few and every transaction needs its product's price, so they are kept.
  const products = [...generateProducts({ seed, count: counts.products })];
  await record(SAMPLE_FILES.products, await writeJsonArray(join(outDir, SAMPLE_FILES.products), products));

  const locations = generateLocations({ seed, count: counts.locations });
  await record(SAMPLE_FILES.locations, await writeNdjson(join(outDir, SAMPLE_FILES.locations), locations));

  const universe = { seed, dsEpochMs: config.dsEpochMs, customerCount: counts.customers, products, locationCount: counts.locations };
  const delivery = config.daily ? planDailyDelivery(config.dsEpochMs, counts.transactions) : undefined;
  const transactions = config.daily
    ? generateDailyTransactions({ ...universe, baseCount: counts.transactions })
    : generateTransactions({ ...universe, days: config.days, count: counts.transactions });
  const started = now();
  let lastReport = started;
  const interval = ctx.progressIntervalMs ?? 10_000;
  const reportProgress = (rows: number): void => {
    const t = now();
    if (t - lastReport < interval) return;
    lastReport = t;
    ctx.log.info(`${SAMPLE_FILES.transactions}: ${rows} rows`, { rows, rowsPerSecond: Math.round(rows / ((t - started) / 1000)) });
  };
  const transactionLines = mapRows(transactions, transactionToCsvFields);
  const path = join(outDir, SAMPLE_FILES.transactions);
  await record(SAMPLE_FILES.transactions, await writeCsv(path, TRANSACTION_COLUMNS, transactionLines, { onChunk: reportProgress }));

  return Object.freeze({
    outDir,
    seed,
    ds: config.ds,
    scale: config.scale,
    days: config.days,
    daily: config.daily,
    counts,
    ...(delivery ? { delivery } : {}),
    files: Object.freeze(files),
    dirtyRows: DIRTY_ROWS.length,
  });
}

function* mapRows<T, U>(rows: Iterable<T>, map: (row: T) => U): Generator<U> {
  for (const row of rows) yield map(row);
}
