/**
 * The sample sources end to end, as commands: seed PostgreSQL and MariaDB/MySQL from the sample
 * generator (`tasks/sample-data/dist/seed-main.js`), ingest them with `tasks/ingest/dist/main.js`,
 * change them (`--changes`), ingest again, then `--full-refresh`. Needs `npm run build` and the
 * servers of ingest-databases.test.ts; the databases are created per test and dropped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { configWith, createTempDatabase, readRaw, SERVERS, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const ROOT = path.resolve(__dirname, '../..');
const D1 = '2026-11-25';
const D2 = '2026-11-26';
let pg: TempDatabase;
let my: TempDatabase;

beforeAll(async () => {
  [pg, my] = await Promise.all([createTempDatabase('postgres'), createTempDatabase('mysql')]);
});
afterAll(async () => {
  await Promise.all([pg?.drop(), my?.drop()]);
});

function urlOf(t: TempDatabase): string {
  const u = new URL(SERVERS[t.client]);
  u.pathname = `/${t.name}`;
  return u.toString();
}

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

it('seeds both databases, ingests them in full, then only the changes, then everything again with --full-refresh', async () => {
  const seeded = run('tasks/sample-data/dist/seed-main.js', ['--client', 'postgres', '--url', urlOf(pg), '--scale', '0.1', '--ds', D1]);
  expect(seeded.stderr).toBe('');
  expect(lastJson(seeded.stdout).result).toEqual({ customers: 316, products: 200, sales_transactions: 1000 });
  expect(run('tasks/sample-data/dist/seed-main.js', ['--client', 'mysql', '--url', urlOf(my), '--ds', D1]).status).toBe(0);

  const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'seed-lake-'));
  const entity = (name: string, key: string) => ({ name, table: name, cursor_column: 'updated_at', primary_key: [key], lookback: 3600 });
  const config = configWith([
    { name: 'sales_db', kind: 'database', client: 'postgres', connection: pg.connection, entities: [entity('customers', 'customer_id'), entity('products', 'product_id'), entity('sales_transactions', 'transaction_id')] },
    { name: 'stores_db', kind: 'database', client: 'mysql', connection: my.connection, entities: [entity('locations', 'location_id')] },
  ]);
  const file = path.join(lakeDir, 'config.yaml');
  writeFileSync(file, JSON.stringify({ ...config, lake: { ...config.lake, root: path.join(lakeDir, 'lake') } }));
  const ingest = (source: string, ds: string, ...extra: string[]) => {
    const r = run('tasks/ingest/dist/main.js', ['--config', file, '--ds', ds, '--source', source, ...extra]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return lastJson(r.stdout);
  };
  // The initial load: the sample transactions fall in the days before D1, outside D1's interval, so history is read with --full-refresh (up to D1's interval end).
  expect(ingest('sales_db', D1, '--full-refresh')).toMatchObject({ status: 'success', rows_out: 316 + 200 + 1000 });
  expect(ingest('stores_db', D1)).toMatchObject({ rows_out: 50 });

  // A day of changes: 5 rows updated per table, 5 transactions committed late (stamped 10 minutes earlier).
  const at = '2026-11-26T01:00:00Z';
  const changed = run('tasks/sample-data/dist/seed-main.js', ['--client', 'postgres', '--url', urlOf(pg), '--changes', '5', '--at', at, '--late-seconds', '600']);
  expect(changed.status).toBe(0);
  const { updated, inserted } = lastJson(changed.stdout).result as { updated: Record<string, string[]>; inserted: string[] };
  expect(run('tasks/sample-data/dist/seed-main.js', ['--client', 'mysql', '--url', urlOf(my), '--changes', '3', '--at', at]).status).toBe(0);

  expect(ingest('sales_db', D2)).toMatchObject({ rows_out: 20 });
  expect(ingest('stores_db', D2)).toMatchObject({ rows_out: 3 });
  const lake = new Lake(new LocalStorage(path.join(lakeDir, 'lake')));
  const txns = (await readRaw(lake, datasets.raw('database', 'sales_db', 'sales_transactions'), D2)).rows;
  expect(txns.map((r) => r.transaction_id).sort()).toEqual([...updated.sales_transactions!, ...inserted].sort());
  // The seeded watermark is midnight of D1: rows whose time the generator left unparseable are stamped then.
  const report = await lake.readJson<{ metrics: { watermarks: Record<string, { before: string; after: string }> } }>(datasets.runReportKey(D2, 'ingest', 'sales_db'));
  expect(report?.metrics.watermarks.sales_transactions).toEqual({ before: '2026-11-25T00:00:00.000Z', after: '2026-11-26T01:00:00.000Z' });

  expect(ingest('sales_db', D2, '--full-refresh')).toMatchObject({ rows_out: 316 + 200 + 1005 });
});
