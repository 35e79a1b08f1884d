/**
 * The whole pipeline on the embedded default, through the same entrypoints Airflow runs: the
 * sample-data generator, then tasks/run-pipeline (every step as a child process) on a temp local
 * lake and SQLite file. Needs `npm run build` first (npm test does it). Starts no server.
 *
 * Checks: row counts reconcile from landing to warehouse, keys are stable across two runs of the
 * same ds, and the analytical queries agree with totals computed here from the landing files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { runAnalyticalQueries } from '../../tasks/load-warehouse/src';

const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
const work = mkdtempSync(path.join(os.tmpdir(), 'demo-e2e-'));
const env = {
  ...process.env,
  LAKE_ROOT: path.join(work, 'lake'),
  LANDING_PATH: path.join(work, 'landing'),
  WAREHOUSE_SQLITE: path.join(work, 'warehouse.sqlite'),
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'warn',
};

/** The landing folder of DS: the demo config reads <LANDING_PATH>/dt=<ds>. */
const landed = (...file: string[]) => path.join(env.LANDING_PATH, `dt=${DS}`, ...file);

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, stderr: r.stderr, summary: last ? (JSON.parse(last) as Record<string, any>) : {} };
}

function runPipeline() {
  const r = node(['tasks/run-pipeline/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', DS, '--run-id', `e2e__${Date.now()}`]);
  if (r.status !== 0) throw new Error(`pipeline failed with exit ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.summary;
}

function manifest(dataset: string): { rows: number; meta: Record<string, any> } {
  return JSON.parse(readFileSync(path.join(env.LAKE_ROOT, dataset, `dt=${DS}`, '_manifest.json'), 'utf8'));
}

/** Sales in the landing CSV that standardize must keep: parseable, first occurrence of each id. */
function expectedSales(): { id: string; product: string; total: number }[] {
  const lines = readFileSync(landed('sales_transactions.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const seen = new Set<string>();
  const out: { id: string; product: string; total: number }[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const id = f[col('transaction_id')]!;
    if (!/^\d+$/.test(f[col('quantity')]!.trim())) continue;
    if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/.test(f[col('transaction_timestamp')]!.trim())) continue;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, product: f[col('product_id')]!, total: Number(f[col('total_amount')]) });
  }
  return out;
}

let db: Knex;
let generated: Record<string, any>;
let firstRun: Record<string, any>;

beforeAll(() => {
  const gen = node(['tasks/sample-data/dist/main.js', '--out', landed(), '--ds', DS, '--seed', '42']);
  if (gen.status !== 0) throw new Error(`sample-data failed: ${gen.stderr}`);
  generated = gen.summary;
  firstRun = runPipeline();
  db = knex({ client: 'better-sqlite3', connection: { filename: env.WAREHOUSE_SQLITE }, useNullAsDefault: true });
}, 300_000);

afterAll(async () => {
  await db?.destroy();
  rmSync(work, { recursive: true, force: true });
});

it('runs every step in DAG order', () => {
  expect(firstRun.steps.map((s: any) => s.task)).toEqual(['setup', 'ingest', 'standardize', 'mask', 'build-star-schema', 'check-quality', 'load-warehouse']);
  expect(firstRun.steps.every((s: any) => s.exit_code === 0)).toBe(true);
});

it('reconciles row counts from landing to warehouse', async () => {
  const landed: Record<string, number> = Object.fromEntries(generated.files.map((f: any) => [f.file.replace(/\..*$/, ''), f.rows]));
  for (const entity of ['customers', 'products', 'locations', 'sales_transactions']) {
    const raw = manifest(`raw/files/landing/${entity}`).rows;
    expect(raw).toBe(landed[entity]);
    const processed = manifest(`processed/${entity}`);
    const rejected = manifest(`processed/_rejected/${entity}`).rows;
    const duplicates = processed.meta.counts.duplicates as number;
    expect(processed.rows + rejected + duplicates).toBe(raw);
    expect(manifest(`processed/masked/${entity}`).rows).toBe(processed.rows);
  }
  // The sample's dirty transactions: one duplicate, one bad timestamp, one bad quantity.
  expect(manifest('processed/_rejected/sales_transactions').rows).toBeGreaterThanOrEqual(2);
  expect(manifest('processed/sales_transactions').meta.counts.duplicates).toBeGreaterThanOrEqual(1);

  const facts = manifest('curated/fact_sales').rows;
  expect(facts).toBe(manifest('processed/masked/sales_transactions').rows);
  expect(facts).toBe(expectedSales().length);
  const [{ n }] = await db('fact_sales').where({ batch_ds: DS }).count({ n: '*' });
  expect(Number(n)).toBe(facts);
  for (const dim of ['dim_customer', 'dim_product', 'dim_location', 'dim_date']) {
    const [{ n: rows }] = await db(dim).count({ n: '*' });
    expect(Number(rows)).toBe(manifest(`curated/${dim}`).rows);
  }
  // 1,000 customers + the unknown member.
  expect(manifest('curated/dim_customer').rows).toBe(1001);
});

it('leaves no personal data in the clear in the warehouse', async () => {
  const landing = readFileSync(landed('customers.csv'), 'utf8').split('\n')[1]!.split(',');
  const rows = await db('dim_customer').where('customer_key', '>', 0).select('email', 'phone', 'first_name');
  expect(rows.every((r: any) => r.email === null || /^[0-9a-f]{10}@/.test(r.email))).toBe(true);
  expect(rows.every((r: any) => r.phone === null || /^XXX-XXX-\d{4}$/.test(r.phone))).toBe(true);
  expect(rows.some((r: any) => r.first_name === landing[1])).toBe(false);
});

it('answers the analytical queries with the totals of the landing files', async () => {
  const sales = expectedSales();
  const products = JSON.parse(readFileSync(landed('products.json'), 'utf8')) as { product_id: string; category: string }[];
  const categoryOf = new Map(products.map((p) => [p.product_id, p.category]));
  const byCategory = new Map<string, number>();
  for (const s of sales) byCategory.set(categoryOf.get(s.product)!, (byCategory.get(categoryOf.get(s.product)!) ?? 0) + s.total);
  const results = Object.fromEntries((await runAnalyticalQueries(db)).map((r) => [r.name, r.rows]));
  const got = new Map<string, number>();
  for (const r of results.revenue_by_category as any[]) got.set(r.category, (got.get(r.category) ?? 0) + Number(r.revenue));
  expect([...got.keys()].sort()).toEqual([...byCategory.keys()].sort());
  for (const [cat, total] of byCategory) expect(got.get(cat)).toBeCloseTo(total, 2);
  const grand = sales.reduce((a, s) => a + s.total, 0);
  const sum = (rows: any[]) => rows.reduce((a, r) => a + Number(r.revenue), 0);
  expect(sum(results.monthly_trend!)).toBeCloseTo(grand, 1);
  expect(sum(results.revenue_by_region!)).toBeCloseTo(grand, 1);
  expect(sum(results.revenue_by_period!)).toBeCloseTo(grand, 1);
  expect(sum(results.customer_segments!)).toBeCloseTo(grand, 1);
  expect(results.top_customers!).toHaveLength(100);
  expect(Number(results.top_customers![0].revenue)).toBeGreaterThanOrEqual(Number(results.top_customers![99].revenue));
  expect(results.top_products!).toHaveLength(50);
});

it('keeps surrogate keys and row counts the same when the same ds runs again', async () => {
  const keysBefore = await db('dim_customer').select('customer_id', 'customer_key').orderBy('customer_id');
  const factsBefore = await db('fact_sales').select('transaction_id', 'customer_key', 'product_key', 'location_key', 'date_key').orderBy('transaction_id');
  const second = runPipeline();
  expect(second.exit_code).toBe(0);
  expect(await db('dim_customer').select('customer_id', 'customer_key').orderBy('customer_id')).toEqual(keysBefore);
  expect(await db('fact_sales').select('transaction_id', 'customer_key', 'product_key', 'location_key', 'date_key').orderBy('transaction_id')).toEqual(factsBefore);
});
