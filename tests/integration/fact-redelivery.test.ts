/**
 * Facts read a second time, through the whole pipeline: the sales of a PostgreSQL source read
 * incrementally by updated_at (with an hour of lookback), over four nightly runs:
 *   D1  20 sales;
 *   D2  2 of them updated (quantity and total changed) and 5 new ones;
 *   D3  a sale committed late with an older updated_at (inside the lookback), 3 new ones, and the
 *       lookback re-reading D2's last hour;
 *   D4  a full refresh: every sale read again.
 * After each night the warehouse (SQLite) holds every sale once, at its newest version, with the
 * source's revenue to the cent; re-running a night changes nothing.
 *
 * Needs PostgreSQL as tasks/ingest/src/ingest-fixture.test-util.ts says (a database is made and
 * dropped here) and `npm run build` (the steps run as child processes, as Airflow runs them).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { createTempDatabase, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const ROOT = path.resolve(__dirname, '../..');
const [D1, D2, D3, D4] = ['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'];

let work: string;
let shop: TempDatabase;
let configPath: string;
let warehouseFile: string;
let customers: string[];
let products: { id: string; price: number }[];
let locations: string[];

/** The first column of each data line of a CSV file. */
const firstColumn = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fact-redelivery-'));
  shop = await createTempDatabase('postgres');
  await shop.db.raw(`CREATE TABLE sales_transactions (
    transaction_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, product_id TEXT NOT NULL, location_id TEXT NOT NULL,
    quantity INTEGER NOT NULL, unit_price NUMERIC(12,2) NOT NULL, discount NUMERIC(5,4), tax_amount NUMERIC(12,2),
    total_amount NUMERIC(14,2) NOT NULL, transaction_timestamp TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)`);

  // The dimensions come from the sample landing files of D1, delivered again every day.
  const first = path.join(work, 'landing', `dt=${D1}`);
  const gen = spawnSync(process.execPath, [path.join(ROOT, 'tasks/sample-data/dist/main.js'), '--out', first, '--ds', D1, '--seed', '7', '--scale', '0.1'], { cwd: ROOT, encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`sample-data failed: ${gen.stderr}`);
  for (const f of readdirSync(first)) if (f.startsWith('sales_transactions')) rmSync(path.join(first, f));
  for (const ds of [D2, D3, D4]) {
    const dir = path.join(work, 'landing', `dt=${ds}`);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(first)) copyFileSync(path.join(first, f), path.join(dir, f));
  }
  const file = (prefix: string) => path.join(first, readdirSync(first).find((f) => f.startsWith(prefix))!);
  customers = firstColumn(file('customers')).slice(0, 10);
  locations = readFileSync(file('locations'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { location_id: string }).location_id).slice(0, 3);
  products = (JSON.parse(readFileSync(file('products'), 'utf8')) as { product_id: string; unit_price: number }[]).slice(0, 5).map((p) => ({ id: p.product_id, price: p.unit_price }));

  const config = parse(readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8')) as Record<string, any>;
  warehouseFile = path.join(work, 'warehouse.sqlite');
  config.lake.root = path.join(work, 'lake');
  config.warehouse.sqlite.filename = warehouseFile;
  const landing = config.sources[0];
  landing.path = path.join(work, 'landing', 'dt={ds}');
  landing.entities = landing.entities.filter((e: { name: string }) => e.name !== 'sales_transactions');
  config.sources.push({
    name: 'shop',
    kind: 'database',
    client: 'postgres',
    connection: { host: shop.connection.host, port: shop.connection.port, user: shop.connection.user, database: shop.name },
    entities: [{ name: 'sales_transactions', table: 'sales_transactions', cursor_column: 'updated_at', primary_key: ['transaction_id'], lookback: 3600 }],
  });
  config.standardize.entities.sales_transactions.source = 'shop';
  configPath = path.join(work, 'config.yaml');
  writeFileSync(configPath, stringify(config));
});

afterAll(async () => {
  await shop?.drop();
  rmSync(work, { recursive: true, force: true });
});

let next = 1;
/** Inserts n sales sold and committed at the given instant; returns their ids. */
async function sell(n: number, at: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++, next++) {
    const id = `TXN${String(next).padStart(8, '0')}`;
    const p = products[next % products.length]!;
    await shop.db('sales_transactions').insert(saleRow(id, next % 10, p, 1 + (next % 3), at));
    ids.push(id);
  }
  return ids;
}

function saleRow(id: string, c: number, p: { id: string; price: number }, quantity: number, at: string) {
  // In integer tenths of a cent, rounded half up as the config's derived total_amount rounds:
  // the line after a 10% discount, 8% tax on it, total = round(line + tax, 2).
  const lineTenths = quantity * Math.round(p.price * 100) * 9;
  const taxCents = Math.floor((lineTenths * 8 + 500) / 1000);
  const totalCents = Math.floor((lineTenths + taxCents * 10 + 5) / 10);
  return { transaction_id: id, customer_id: customers[c]!, product_id: p.id, location_id: locations[c % locations.length]!, quantity, unit_price: p.price, discount: 0.1, tax_amount: taxCents / 100, total_amount: totalCents / 100, transaction_timestamp: at, updated_at: at };
}

/** Runs every step for ds as Airflow would (the ingest of shop with --full-refresh when asked, as the DAG's full_refresh param does). */
function night(ds: string, fullRefresh = false): void {
  const env = { ...process.env, LOG_LEVEL: 'warn' };
  const common = ['--config', configPath, '--ds', ds, '--run-id', `night__${ds}__${Date.now()}`];
  const run = (script: string, args: string[], ok = [0]) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, script), ...common, ...args], { cwd: ROOT, env, encoding: 'utf8' });
    if (!ok.includes(r.status ?? -1)) throw new Error(`${script} ${args.join(' ')} for ${ds} exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  };
  if (!fullRefresh) return run('tasks/run-pipeline/dist/main.js', []);
  run('tasks/run-pipeline/dist/main.js', ['--only', 'setup']);
  run('tasks/ingest/dist/main.js', ['--source', 'landing'], [0, 99]);
  run('tasks/ingest/dist/main.js', ['--source', 'shop', '--full-refresh']);
  run('tasks/run-pipeline/dist/main.js', ['--only', 'standardize', 'mask', 'build-star-schema', 'check-quality', 'load-warehouse']);
}

/** The warehouse's facts against the source: every sale once, same quantity and total, and the batch that holds it. */
async function compare(): Promise<{ batches: Record<string, number>; revenue: string }> {
  const source = (await shop.db('sales_transactions').select('transaction_id', 'quantity', 'total_amount').orderBy('transaction_id')) as { transaction_id: string; quantity: number; total_amount: string }[];
  const db = new Database(warehouseFile, { readonly: true });
  try {
    const facts = db.prepare('SELECT transaction_id, quantity, total_amount, batch_ds FROM fact_sales ORDER BY transaction_id').all() as { transaction_id: string; quantity: number; total_amount: number; batch_ds: string }[];
    expect(facts.map((f) => [f.transaction_id, f.quantity, f.total_amount.toFixed(2)])).toEqual(source.map((s) => [s.transaction_id, s.quantity, Number(s.total_amount).toFixed(2)]));
    const cents = (v: string | number) => Math.round(Number(v) * 100);
    const revenue = facts.reduce((s, f) => s + cents(f.total_amount), 0);
    expect(revenue).toBe(source.reduce((s, r) => s + cents(r.total_amount), 0));
    const batches: Record<string, number> = {};
    for (const f of facts) batches[f.batch_ds] = (batches[f.batch_ds] ?? 0) + 1;
    return { batches, revenue: (revenue / 100).toFixed(2) };
  } finally {
    db.close();
  }
}

it('keeps every sale once at its newest version through updates, lookback re-reads and a full refresh, and re-runs change nothing', async () => {
  const day1 = await sell(20, `${D1}T10:00:00Z`);
  night(D1);
  expect((await compare()).batches).toEqual({ [D1]: 20 });

  // D2: two sales corrected in the source, five new.
  for (const [i, id] of day1.slice(0, 2).entries()) {
    const p = products[(i + 3) % products.length]!;
    const { quantity, total_amount, tax_amount, unit_price, product_id } = saleRow(id, i, p, 7, `${D1}T10:00:00Z`);
    await shop.db('sales_transactions').where({ transaction_id: id }).update({ quantity, total_amount, tax_amount, unit_price, product_id, updated_at: `${D2}T09:00:00Z` });
  }
  await sell(5, `${D2}T23:10:00Z`);
  night(D2);
  const afterD2 = await compare();
  expect(afterD2.batches).toEqual({ [D1]: 18, [D2]: 7 });
  night(D2);
  expect(await compare()).toEqual(afterD2);

  // D3: a sale committed late with an updated_at inside the lookback hour, and three new ones.
  await sell(1, `${D2}T23:40:00Z`);
  await sell(3, `${D3}T12:00:00Z`);
  night(D3);
  const afterD3 = await compare();
  expect(afterD3.batches).toEqual({ [D1]: 18, [D2]: 7, [D3]: 4 });

  // D4: a full refresh reads every sale again; each moves to D4, none is duplicated.
  night(D4, true);
  expect((await compare()).batches).toEqual({ [D4]: 29 });
  night(D4, true);
  expect((await compare()).batches).toEqual({ [D4]: 29 });

  // A re-run of D1: every row its batch brings is carried by D4, so its fact partition is empty,
  // and its checks count the rows delivered (row_count min 1 passes); nothing moves back.
  night(D1);
  expect((await compare()).batches).toEqual({ [D4]: 29 });
}, 600_000);
