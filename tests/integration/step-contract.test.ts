/**
 * The step contract as Airflow sees it: exit codes, one-line errors naming the thing and the
 * fix, the JSON summary as the last stdout line, and no half-written partition after a failure.
 * Runs the built entrypoints (tasks/<step>/dist/main.js) as child processes; starts no server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
let work: string;
let env: NodeJS.ProcessEnv;

function step(task: string, args: string[], config = 'config/demo_config.yaml') {
  const r = spawnSync(process.execPath, [`tasks/${task}/dist/main.js`, '--config', config, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, stderr: r.stderr, summary: JSON.parse(lines[lines.length - 1] || '{}') as Record<string, any> };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  mkdirSync(path.join(work, 'landing', `dt=${DS}`), { recursive: true });
  env = { ...process.env, LAKE_ROOT: path.join(work, 'lake'), LANDING_PATH: path.join(work, 'landing'), WAREHOUSE_SQLITE: path.join(work, 'wh.sqlite'), LOG_FORMAT: 'json' };
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function land(files: Record<string, string>) {
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(work, 'landing', `dt=${DS}`, name), body);
}

const GOOD = {
  'customers.csv': 'customer_id,first_name,last_name,email,phone,address,city,state,zip_code,country\nCUST000001,Ann,Lee,a@x.com,555-123-4567,1 Main St,Austin,TX,73301,US\n',
  'products.json': JSON.stringify([{ product_id: 'PROD000001', product_name: 'Pen', category: 'Office', subcategory: 'Pens', brand: 'B', unit_cost: 1, unit_price: 2 }]),
  'locations.ndjson': JSON.stringify({ location_id: 'LOC0001', store_name: 'S', address: 'a', city: 'c', state: 's', zip_code: 'z', country: 'US', region: 'West' }) + '\n',
  'sales_transactions.csv':
    'transaction_id,customer_id,product_id,location_id,quantity,unit_price,discount,tax_amount,total_amount,transaction_timestamp\nTXN00000001,CUST000001,PROD000001,LOC0001,2,2.00,0,0.32,4.32,2026-11-25T10:00:00Z\n',
};

it('rejects a malformed --ds with exit 2 and a one-line fix', () => {
  const r = step('setup', ['--ds', '26/11/2026']);
  expect(r.status).toBe(2);
  expect(r.summary).toMatchObject({ step: 'setup', status: 'failed', exit_code: 2 });
  expect(r.summary.error).toMatch(/--ds "26\/11\/2026" is not a date.*Fix: give the logical date as YYYY-MM-DD/);
});

it('prints usage with --help and exits 0', () => {
  const r = spawnSync(process.execPath, ['tasks/ingest/dist/main.js', '--help'], { cwd: ROOT, env, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('--source');
});

it('rejects an unknown column type in the config with exit 2 naming its path', () => {
  const cfg = path.join(work, 'bad.yaml');
  writeFileSync(cfg, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace('quantity: { type: int, required: true }', 'quantity: { type: integer32, required: true }'));
  const r = step('standardize', ['--ds', DS], cfg);
  expect(r.status).toBe(2);
  expect(r.summary.error).toMatch(/standardize\.entities\.sales_transactions\.columns\.quantity\.type: /);
});

it('fails with exit 4 when a required file is missing, naming the pattern and the fix', () => {
  land({ 'customers.csv': GOOD['customers.csv'] });
  const r = step('ingest', ['--ds', DS, '--source', 'landing']);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/No file matches "products\*\.json" under .* for entity products.*Fix:/);
  expect(existsSync(path.join(work, 'lake/raw/files/landing/products'))).toBe(false);
});

it('fails with exit 4 on an unreadable CSV row and leaves no partition behind', () => {
  land({ ...GOOD, 'sales_transactions.csv': GOOD['sales_transactions.csv'] + 'TXN2,CUST000001,"unterminated\n' });
  const r = step('ingest', ['--ds', DS, '--source', 'landing']);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/sales_transactions\.csv/);
  expect(filesUnder(path.join(work, 'lake/raw/files/landing/sales_transactions'))).toEqual([]);
});

it('keeps the previous partition readable when a re-run fails', () => {
  land(GOOD);
  expect(step('ingest', ['--ds', DS, '--source', 'landing']).status).toBe(0);
  const dir = path.join(work, 'lake/raw/files/landing/sales_transactions', `dt=${DS}`);
  const before = readFileSync(path.join(dir, '_manifest.json'), 'utf8');
  land({ 'sales_transactions.csv': GOOD['sales_transactions.csv'] + 'TXN2,too,few\n' });
  const r = step('ingest', ['--ds', DS, '--source', 'landing']);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/row 2: expected 10 fields, found 3/);
  expect(readFileSync(path.join(dir, '_manifest.json'), 'utf8')).toBe(before);
  const listed = JSON.parse(before).files.map((f: any) => path.join(work, 'lake', f.key));
  expect(filesUnder(dir).sort()).toEqual([...listed, path.join(dir, '_manifest.json')].sort());
});

it('tells which step to run first when its input partition is missing', () => {
  const r = step('standardize', ['--ds', DS]);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/Not found in the lake: .*raw\/files\/landing\/customers\/dt=2026-11-26\/.*Fix: run the ingest --source landing step for --ds 2026-11-26 first/);
});

it('fails standardize with exit 4 when rejects exceed the tolerance, publishing only the rejects', () => {
  const bad = Array.from({ length: 5 }, (_, i) => `TXN${i + 2},CUST000001,PROD000001,LOC0001,x,2,0,0,4,2026-11-25T10:00:00Z`).join('\n');
  land({ ...GOOD, 'sales_transactions.csv': GOOD['sales_transactions.csv'] + bad + '\n' });
  expect(step('ingest', ['--ds', DS, '--source', 'landing']).status).toBe(0);
  const r = step('standardize', ['--ds', DS]);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/Entity sales_transactions: 5 of 6 rows rejected/);
  expect(existsSync(path.join(work, `lake/processed/_rejected/sales_transactions/dt=${DS}/_manifest.json`))).toBe(true);
  expect(existsSync(path.join(work, `lake/processed/sales_transactions/dt=${DS}/_manifest.json`))).toBe(false);
});

it('writes the run report and prints the summary as the last stdout line', () => {
  land(GOOD);
  const r = step('ingest', ['--ds', DS, '--source', 'landing', '--run-id', 'scheduled__2026-11-26T02:00:00+00:00']);
  expect(r.status).toBe(0);
  expect(r.summary).toMatchObject({ step: 'ingest', source: 'landing', status: 'success', exit_code: 0, rows_in: 4, rows_out: 4, run_id: 'scheduled__2026-11-26T02:00:00+00:00' });
  const report = JSON.parse(readFileSync(path.join(work, `lake/_runs/dt=${DS}/ingest-landing.json`), 'utf8'));
  expect(report).toMatchObject({ status: 'success', rows_out: 4 });
  expect(report.inputs.map((i: any) => path.basename(i.uri)).sort()).toEqual(Object.keys(GOOD).sort());
  expect(report.peak_rss_mb).toBeGreaterThan(0);
});

it('reads only the files landed for its own ds', () => {
  land(GOOD);
  const r = step('ingest', ['--ds', '2026-11-27', '--source', 'landing']);
  expect(r.status).toBe(4);
  expect(r.summary.error).toMatch(/No file matches "customers\*\.csv" under .*dt=2026-11-27/);
});

it('commits an empty partition for an optional entity with no file, and standardize goes on', () => {
  const cfg = path.join(work, 'optional.yaml');
  writeFileSync(cfg, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace('{ name: locations, pattern: "locations*.ndjson", format: ndjson }', '{ name: locations, pattern: "locations*.ndjson", format: ndjson, required: false }'));
  const { 'locations.ndjson': _skip, ...rest } = GOOD;
  land(rest);
  const ingest = step('ingest', ['--ds', DS, '--source', 'landing'], cfg);
  expect(ingest.status).toBe(0);
  const raw = JSON.parse(readFileSync(path.join(work, `lake/raw/files/landing/locations/dt=${DS}/_manifest.json`), 'utf8'));
  expect(raw.rows).toBe(0);
  expect(step('standardize', ['--ds', DS], cfg).status).toBe(0);
  const processed = JSON.parse(readFileSync(path.join(work, `lake/processed/locations/dt=${DS}/_manifest.json`), 'utf8'));
  expect(processed.rows).toBe(0);
  expect(processed.schema.map((c: any) => c.name)).toContain('location_id');
});
