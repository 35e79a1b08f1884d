/**
 * Measures the check-quality step over a large fact partition (not a test).
 *
 *   npx tsc -b tasks/check-quality && node tasks/check-quality/dist/bench/bench-quality.js [--rows 10000000] [--dir DIR] [--keep] [--modes read,core,plain,all]
 *
 * 1. Generates curated dimensions and a fact_sales partition of --rows rows (typed arrays, 128k-row
 *    batches) into a local lake in a temp folder.
 * 2. In a fresh child process (so peak RSS is the check's alone): reads the fact columns the demo
 *    checks need without checking anything, the I/O and decoding baseline.
 * 3. In another fresh child: runs the step with the demo config's first 12 checks (not_null, unique,
 *    relationships, row_count) over the lake.
 * 4. In another fresh child: runs the step with every check of the demo config (adds range, regex,
 *    freshness, row_count_change, accepted_values and reconciliation against generated run reports),
 *    and writes report.html, with column profiles off (plain).
 * 5. The same with column profiles on (all): the difference is the profiles' cost.
 * Steps 3 and 4 run without profiles, so they compare with earlier figures.
 * Prints seconds, rows/s and peak RSS (process.resourceUsage().maxRSS) of each.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { BatchBuilder, schemaOf, type ColumnDef } from '@salesflow/batches';
import { readConfig } from '@salesflow/config';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import { checkQualityStep } from '../check-quality-step';

const DS = '2026-11-26';
const BATCH = 131_072;
const CUSTOMERS = 31_623;
const PRODUCTS = 200;
const LOCATIONS = 50;
const DAYS = 365;
const DEFAULT_CONFIG = path.resolve(__dirname, '../../../../config/demo_config.yaml');
/** The demo config's checks before range, regex, freshness, row_count_change, reconciliation and accepted_values. */
const CORE_CHECKS = 12;
type Mode = 'read' | 'core' | 'plain' | 'all';
const MODES: readonly Mode[] = ['read', 'core', 'plain', 'all'];
const FACT_CHECK_COLUMNS = ['transaction_id', 'date_key', 'customer_key', 'product_key', 'location_key', 'total_amount'];

const FACT: ColumnDef[] = [
  { name: 'transaction_id', kind: 'string' },
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
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function dateKeyOf(day: number): number {
  const d = new Date(Date.UTC(2026, 0, 1 + day));
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Fixed-width "TXN00000001" ids written straight into a UTF-8 buffer. */
function transactionIds(from: number, n: number): arrow.Data<arrow.Utf8> {
  const width = 11;
  const bytes = new Uint8Array(n * width);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const at = i * width;
    bytes[at] = 84; // T
    bytes[at + 1] = 88; // X
    bytes[at + 2] = 78; // N
    let v = from + i + 1;
    for (let d = width - 1; d >= 3; d--) {
      bytes[at + d] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    offsets[i + 1] = at + width;
  }
  return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes });
}

function constantString(text: string, n: number): arrow.Data<arrow.Utf8> {
  const one = Buffer.from(text);
  const bytes = new Uint8Array(n * one.length);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    bytes.set(one, i * one.length);
    offsets[i + 1] = (i + 1) * one.length;
  }
  return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes });
}

/** One fact batch from typed arrays: every key resolves (about 1 in 500 rows points at the unknown member). */
function factBatch(schema: arrow.Schema, from: number, n: number): arrow.RecordBatch {
  const i32 = () => new Int32Array(n);
  const f64 = () => new Float64Array(n);
  const [date, cust, prod, loc, qty] = [i32(), i32(), i32(), i32(), i32()];
  const [price, disc, tax, total] = [f64(), f64(), f64(), f64()];
  const ts = new BigInt64Array(n);
  const dateKeys = Array.from({ length: DAYS }, (_, d) => dateKeyOf(d));
  for (let i = 0; i < n; i++) {
    const r = from + i;
    const day = r % DAYS;
    date[i] = dateKeys[day]!;
    cust[i] = r % 500 === 0 ? -1 : ((r * 7919) % CUSTOMERS) + 1;
    prod[i] = (r % PRODUCTS) + 1;
    loc[i] = (r % LOCATIONS) + 1;
    qty[i] = (r % 5) + 1;
    price[i] = 5 + (r % 100);
    disc[i] = (r % 4) * 0.05;
    tax[i] = Math.round(qty[i]! * price[i]! * 0.08 * 100) / 100;
    total[i] = qty[i]! * price[i]! * (1 - disc[i]!) + tax[i]!;
    ts[i] = BigInt(Date.UTC(2026, 0, 1 + day) + (r % 86_400) * 1000);
  }
  const plain = (type: arrow.DataType, data: ArrayLike<number | bigint>) => arrow.makeData({ type, length: n, nullCount: 0, data } as never);
  const children = [
    transactionIds(from, n),
    ...[date, cust, prod, loc, qty].map((a) => plain(new arrow.Int32(), a)),
    ...[price, disc, tax, total].map((a) => plain(new arrow.Float64(), a)),
    plain(new arrow.TimestampMillisecond('UTC'), ts),
    constantString(DS, n),
  ];
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }));
}

async function writeDimension(lake: Lake, table: string, cols: ColumnDef[], rows: Iterable<unknown[]>): Promise<void> {
  const b = new BatchBuilder(cols);
  for (const r of rows) b.appendRow(r);
  const w = lake.openPartition({ dataset: datasets.curated(table), ds: DS, step: 'build-star-schema', runId: 'bench', schema: b.schema });
  await w.write(b.finish());
  await w.commit();
}

function* members(n: number, row: (k: number) => unknown[]): Iterable<unknown[]> {
  yield row(-1);
  for (let k = 1; k <= n; k++) yield row(k);
}

async function generate(dir: string, rows: number): Promise<void> {
  const lake = new Lake(new LocalStorage(dir), { rowGroupSize: BATCH });
  const s = (name: string): ColumnDef => ({ name, kind: 'string' });
  // valid_from: the SCD2 grain (customer_id, valid_from) the demo's unique check reads.
  await writeDimension(
    lake,
    'dim_customer',
    [{ name: 'customer_key', kind: 'int32' }, s('customer_id'), s('city'), { name: 'valid_from', kind: 'date' }],
    members(CUSTOMERS, (k) => [k, k < 0 ? 'UNKNOWN' : `CUST${String(k).padStart(6, '0')}`, 'Springfield', Date.UTC(2026, 0, 1)]),
  );
  await writeDimension(lake, 'dim_product', [{ name: 'product_key', kind: 'int32' }, s('product_id')], members(PRODUCTS, (k) => [k, k < 0 ? 'UNKNOWN' : `PROD${k}`]));
  const regions = ['Northeast', 'Southeast', 'Midwest', 'Southwest', 'West'];
  await writeDimension(lake, 'dim_location', [{ name: 'location_key', kind: 'int32' }, s('location_id'), s('region')], members(LOCATIONS, (k) => [k, k < 0 ? 'UNKNOWN' : `LOC${k}`, k < 0 ? 'Unknown' : regions[k % 5]]));
  await writeDimension(lake, 'dim_date', [{ name: 'date_key', kind: 'int32' }, { name: 'full_date', kind: 'date' }], members(DAYS, (k) => (k < 0 ? [-1, null] : [dateKeyOf(k - 1), Date.UTC(2026, 0, k)])));
  const schema = schemaOf(FACT);
  const w = lake.openPartition({ dataset: datasets.curated('fact_sales'), ds: DS, step: 'build-star-schema', runId: 'bench', schema });
  for (let from = 0; from < rows; from += BATCH) await w.write(factBatch(schema, from, Math.min(BATCH, rows - from)));
  await w.commit();
  await writeRunReports(lake, rows);
}

/** The run reports the earlier steps would have left for these rows, so reconciliation has something to add up. */
async function writeRunReports(lake: Lake, rows: number): Promise<void> {
  const ok = { status: 'success', ds: DS };
  const uri = (dataset: string) => lake.partitionUri(dataset, DS);
  await lake.writeJson(datasets.runReportKey(DS, 'ingest', 'landing'), { ...ok, step: 'ingest', rows_in: rows, rows_out: rows, outputs: [{ uri: uri(datasets.raw('files', 'landing', 'sales_transactions')), rows }] });
  await lake.writeJson(datasets.runReportKey(DS, 'standardize'), {
    ...ok,
    step: 'standardize',
    rows_in: rows,
    rows_out: rows,
    metrics: { entities: { sales_transactions: { rowsIn: rows, rowsOut: rows, rejected: 0, duplicates: 0 } } },
  });
  await lake.writeJson(datasets.runReportKey(DS, 'mask'), { ...ok, step: 'mask', rows_in: rows, rows_out: rows, metrics: { entities: { sales_transactions: { rows } } } });
  await lake.writeJson(datasets.runReportKey(DS, 'build-star-schema'), { ...ok, step: 'build-star-schema', rows_in: rows, rows_out: rows, outputs: [{ uri: uri(datasets.curated('fact_sales')), rows }] });
}

/** Child process: one measurement, printed as one JSON line. */
async function measure(mode: Mode, dir: string, configFile: string): Promise<void> {
  const lake = new Lake(new LocalStorage(dir), { rowGroupSize: BATCH });
  const started = process.hrtime.bigint();
  let rows = 0;
  let result: unknown;
  if (mode === 'read') {
    for await (const b of lake.readPartition(datasets.curated('fact_sales'), DS, 'build-star-schema', { columns: FACT_CHECK_COLUMNS, batchSize: BATCH })) rows += b.numRows;
  } else {
    const read = readConfig(configFile, (name) => (name === 'LAKE_ROOT' ? dir : undefined)).config;
    const profiles = { ...read.quality.profiles, enabled: mode === 'all' };
    const config =
      mode === 'core' ? { ...read, quality: { ...read.quality, checks: read.quality.checks.slice(0, CORE_CHECKS), html_report: false, profiles } } : { ...read, quality: { ...read.quality, profiles } };
    const log = createLogger({ level: 'warn', format: 'json', bindings: { step: 'check-quality' } });
    const r = await checkQualityStep.run({ step: 'check-quality', ds: DS, runId: 'bench', config, lake, log }).catch((e: Error) => {
      throw new Error(`the checks failed on generated data (see ${datasets.qualityPrefix(DS)}report.json in ${dir}): ${e.message}`);
    });
    rows = r.inputs.find((i) => i.uri.includes('fact_sales'))?.rows ?? 0;
    const report = await lake.readJson<{ status: string; summary: unknown }>(datasets.qualityPrefix(DS) + 'report.json');
    result = { checks: config.quality.checks.length, status: report?.status, summary: report?.summary };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ mode, rows, seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), result }) + '\n');
}

async function main(): Promise<void> {
  const mode = arg('measure') as Mode | undefined;
  const configFile = path.resolve(arg('config') ?? DEFAULT_CONFIG);
  if (mode) return measure(mode, arg('dir')!, configFile);

  const rows = Number(arg('rows') ?? 10_000_000);
  const dir = arg('dir') ? path.resolve(arg('dir')!) : mkdtempSync(path.join(tmpdir(), 'bench-quality-'));
  const keep = process.argv.includes('--keep') || Boolean(arg('dir'));
  try {
    if (!arg('dir') || process.argv.includes('--generate')) {
      const t = Date.now();
      await generate(dir, rows);
      process.stderr.write(`generated ${rows.toLocaleString('en-US')} fact rows into ${dir} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
    const modes = (arg('modes')?.split(',') ?? MODES) as Mode[];
    const unknown = modes.filter((m) => !MODES.includes(m));
    if (unknown.length) throw new Error(`--modes: unknown ${unknown.join(', ')}; use some of ${MODES.join(',')}`);
    for (const m of modes) {
      const out = execFileSync(process.execPath, [__filename, '--measure', m, '--dir', dir, '--config', configFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { rows: number; seconds: number; peakRssMb: number; result?: unknown };
      const what = {
        read: 'read the 6 checked fact columns only (baseline)',
        core: `check-quality step, the demo's first ${CORE_CHECKS} checks (not_null, unique, relationships, row_count)`,
        plain: 'check-quality step, every demo check (+ range, regex, freshness, row_count_change, accepted_values, reconciliation) and report.html, no profiles',
        all: 'check-quality step, every demo check and report.html, with column profiles of every table',
      }[m];
      process.stdout.write(
        `${what}: ${r.rows.toLocaleString('en-US')} fact rows in ${r.seconds.toFixed(2)} s = ${Math.round(r.rows / r.seconds).toLocaleString('en-US')} fact rows/s, peak RSS ${r.peakRssMb} MB${r.result ? ' ' + JSON.stringify(r.result) : ''}\n`,
      );
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
