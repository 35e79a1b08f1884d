/**
 * Benchmark (not a test): lands raw partitions shaped like ingest's output (text columns) for
 * 10 M sales transactions and 1 M customers (plus the small products and locations), then runs
 * the real step programs as child processes on that local lake with the demo config, and prints
 * one JSON line per step from its run report: rows, seconds, rows/s and peak RSS.
 *
 *   npm run bench:standardize                       # standardize only
 *   npm run bench:mask                              # standardize, then mask
 *   node tasks/standardize/dist/bench/bench-standardize.js [--transactions N] [--customers N] [--steps standardize,mask] [--dir DIR]
 *
 * --dir keeps the lake (and reuses its raw data when the sizes match); otherwise a temp folder is removed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as arrow from 'apache-arrow';
import { Lake, LocalStorage, STEP_PROCESS_ENV, datasets } from '@salesflow/lake';

const ROOT = resolve(__dirname, '../../../..');
const DS = '2026-11-26';
const BATCH = 131_072;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const TRANSACTIONS = Number(arg('transactions', '10000000'));
const CUSTOMERS = Number(arg('customers', '1000000'));
const STEPS = arg('steps', 'standardize').split(',');

/** A Utf8 column from strings, straight into Arrow buffers. */
function utf8(values: readonly string[]): arrow.Data<arrow.Utf8> {
  const bytes = values.map((v) => Buffer.from(v, 'utf8'));
  const offsets = new Int32Array(values.length + 1);
  bytes.forEach((b, i) => (offsets[i + 1] = offsets[i]! + b.length));
  return arrow.makeData({ type: new arrow.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(bytes) });
}

function batchOf(names: readonly string[], rows: readonly string[][], firstRow: number): arrow.RecordBatch {
  const fields = [...names.map((n) => new arrow.Field(n, new arrow.Utf8(), true)), new arrow.Field('_source_file', new arrow.Utf8(), true), new arrow.Field('_source_row', new arrow.Int32(), true)];
  const schema = new arrow.Schema(fields);
  const n = rows.length;
  const children: arrow.Data[] = names.map((_, c) => utf8(rows.map((r) => r[c]!)));
  children.push(utf8(Array(n).fill('file:///landing/bench.csv')));
  children.push(arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: Int32Array.from({ length: n }, (_, i) => firstRow + i + 2) }));
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }));
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez'];

const ENTITIES: Record<string, { columns: string[]; rows: () => number; row: (i: number) => string[] }> = {
  customers: {
    columns: ['customer_id', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country'],
    rows: () => CUSTOMERS,
    row: (i) => {
      const first = `${FIRST[i % 10]}${i % 71}`;
      const last = `${LAST[(i * 7) % 10]}${i % 83}`;
      // Every 1,000th customer has the untrimmed mixed-case email the sample data has.
      const email = i % 1000 === 42 ? `  ${first}.${last}${i}@Example.COM ` : `${first.toLowerCase()}.${last.toLowerCase()}${i}@example${i % 5}.com`;
      return [`CUST${pad(i, 9)}`, first, last, email, `(${200 + (i % 800)}) 555-${pad(i % 10000, 4)}`, `${i} Main Street Apt ${i % 97}`, 'Springfield', 'IL', pad(i % 99999, 5), 'USA'];
    },
  },
  products: {
    columns: ['product_id', 'product_name', 'category', 'subcategory', 'brand', 'unit_cost', 'unit_price'],
    rows: () => 200,
    row: (i) => [`PROD${pad(i, 6)}`, `Product ${i}`, `Cat ${i % 8}`, `Sub ${i % 20}`, `Brand ${i % 15}`, (5 + (i % 50)).toFixed(2), (10 + (i % 90)).toFixed(2)],
  },
  locations: {
    columns: ['location_id', 'store_name', 'address', 'city', 'state', 'zip_code', 'country', 'region'],
    rows: () => 50,
    row: (i) => [`LOC${pad(i, 4)}`, `Store ${i}`, `${i} Market St`, 'Springfield', 'IL', '62701', 'USA', ['West', 'Midwest', 'South'][i % 3]!],
  },
  sales_transactions: {
    columns: ['transaction_id', 'customer_id', 'product_id', 'location_id', 'quantity', 'unit_price', 'discount', 'tax_amount', 'total_amount', 'transaction_timestamp'],
    rows: () => TRANSACTIONS,
    row: (i) => {
      // Every 5,000th row re-delivers the previous transaction (a duplicate); every 10,000th has a bad quantity.
      const id = i % 5000 === 1 ? i - 1 : i;
      const qty = 1 + (id % 5);
      const price = 10 + (id % 90);
      const total = (qty * price * 1.08).toFixed(2);
      const t = new Date(Date.UTC(2026, 0, 1) + (id % 28_000_000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return [`TXN${pad(id, 10)}`, `CUST${pad(id % Math.max(CUSTOMERS, 1), 9)}`, `PROD${pad(id % 200, 6)}`, `LOC${pad(id % 50, 4)}`, i % 10000 === 7 ? 'two' : String(qty), price.toFixed(2), '0.00', (qty * price * 0.08).toFixed(2), `$${total}`, t];
    },
  },
};

async function landRaw(lake: Lake): Promise<number> {
  const started = performance.now();
  for (const [entity, e] of Object.entries(ENTITIES)) {
    const dataset = datasets.raw('files', 'landing', entity);
    const existing = await lake.readManifest(dataset, DS);
    if (existing && existing.rows === e.rows()) continue;
    const w = lake.openPartition({ dataset, ds: DS, step: 'ingest', runId: 'bench' });
    for (let start = 0; start < e.rows(); start += BATCH) {
      const n = Math.min(BATCH, e.rows() - start);
      await w.write(batchOf(e.columns, Array.from({ length: n }, (_, k) => e.row(start + k)), start));
    }
    await w.commit({});
  }
  return (performance.now() - started) / 1000;
}

function runStep(step: string, lakeRoot: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(ROOT, `tasks/${step}/dist/main.js`), '--config', join(ROOT, 'config/demo_config.yaml'), '--ds', DS, '--run-id', `bench-${step}`], {
    cwd: ROOT,
    env: { ...STEP_PROCESS_ENV, ...process.env, LAKE_ROOT: lakeRoot, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${step} failed with exit ${r.status}: ${r.stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(join(lakeRoot, `_runs/dt=${DS}/${step}.json`), 'utf8')) as Record<string, number>;
  return {
    step,
    rows_in: report.rows_in,
    rows_out: report.rows_out,
    rows_rejected: report.rows_rejected,
    rows_dropped: report.rows_dropped,
    seconds: report.duration_s,
    rows_per_second: Math.round(report.rows_in! / report.duration_s!),
    peak_rss_mb: report.peak_rss_mb,
  };
}

async function main(): Promise<void> {
  const kept = arg('dir', '');
  const dir = kept || mkdtempSync(join(tmpdir(), 'bench-std-'));
  const lakeRoot = join(dir, 'lake');
  try {
    const lake = new Lake(new LocalStorage(lakeRoot));
    const landSeconds = await landRaw(lake);
    process.stdout.write(JSON.stringify({ raw: { transactions: TRANSACTIONS, customers: CUSTOMERS }, land_raw_seconds: +landSeconds.toFixed(1), node: process.version }) + '\n');
    for (const step of STEPS) process.stdout.write(JSON.stringify(runStep(step, lakeRoot)) + '\n');
  } finally {
    if (!kept && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
