/**
 * Leak scan. The whole pipeline runs with canary secrets (MASK_HMAC_KEY, VAULT_KEY, the AWS keys
 * the S3 lake is reached with, the PostgreSQL warehouse password, the lineage API key), the lake on
 * the S3 test server, the warehouse in a PostgreSQL database of its own, and lineage POSTed to an
 * HTTP server of ours. Then every output is scanned:
 *   - for the canaries: every step's stdout (the summary Airflow pushes to XCom) and stderr (logs,
 *     error messages), every lake object that is not Parquet (run reports, manifests, quality
 *     report.json/html, state), every string cell of every Parquet partition, the lineage events;
 *   - for the generator's planted personal data (the customers' names, emails, phones, addresses)
 *     in the clear anywhere downstream of mask: processed/masked, curated, the warehouse tables,
 *     the quality reports, logs and lineage events.
 * Failing runs leak through their error messages most often, so failures are provoked as well: a
 * malformed vault key and an unreachable warehouse with the canary password.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import knex, { type Knex } from 'knex';
import { openStorage } from '@salesflow/lake';
import { recordFigures } from './kit/fault-summary';
import { lakeStringCells, lakeTextObjects } from './kit/lake-strings';
import { baseEnv, DS, generateLanding, ROOT, runPipeline, startStep, type StepRun } from './kit/run-step';

const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
const PG_URL = process.env.WAREHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const suffix = randomBytes(5).toString('hex');
const bucket = `leaks-${suffix}`;
const database = `leaks_${suffix}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'leaks-'));
const landing = path.join(work, 'landing');

/** Values that must never appear in any output. Each is unique to this run. */
const CANARY = {
  MASK_HMAC_KEY: `canary-hmac-${randomBytes(12).toString('hex')}`,
  VAULT_KEY: randomBytes(32).toString('hex'),
  AWS_ACCESS_KEY_ID: `AKIACANARY${randomBytes(5).toString('hex').toUpperCase()}`,
  AWS_SECRET_ACCESS_KEY: `canarySecret${randomBytes(14).toString('hex')}`,
  WAREHOUSE_PASSWORD: `canary-pw-${randomBytes(10).toString('hex')}`,
  LINEAGE_API_KEY: `canary-lineage-${randomBytes(10).toString('hex')}`,
};

/** The demo config with a PostgreSQL warehouse whose password and lineage key come from the environment. */
function leakConfig(): string {
  const demo = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8');
  const sqlite = 'warehouse:\n  client: sqlite\n  sqlite:\n    filename: ${WAREHOUSE_SQLITE:-.demo/warehouse.sqlite}\n';
  const lineage = 'lineage:\n  enabled: true\n';
  if (!demo.includes(sqlite) || !demo.includes(lineage)) throw new Error('config/demo_config.yaml changed shape: update leakConfig()');
  const pg = new URL(PG_URL);
  return demo
    .replace(
      sqlite,
      `warehouse:\n  client: postgres\n  connection:\n    host: ${pg.hostname}\n    port: \${WAREHOUSE_PORT}\n    user: ${decodeURIComponent(pg.username)}\n    password: \${WAREHOUSE_PASSWORD}\n    database: ${database}\n`,
    )
    .replace(lineage, 'lineage:\n  enabled: true\n  url: ${LINEAGE_URL}\n  api_key: ${LINEAGE_API_KEY}\n');
}

interface Planted {
  readonly whole: Set<string>;
  readonly text: string[];
}

/** The generator's personal data: names as whole cells, and emails, phones and addresses also inside text. */
function plantedPii(): Planted {
  const rows = parse(readFileSync(path.join(landing, `dt=${DS}`, 'customers.csv')), { columns: true }) as Record<string, string>[];
  const whole = new Set<string>();
  const text: string[] = [];
  for (const r of rows) {
    for (const v of [r.first_name, r.last_name]) if (v) whole.add(v);
    for (const v of [r.email, r.phone, r.address, `${r.first_name} ${r.last_name}`]) if (v) (whole.add(v), text.push(v));
  }
  return { whole, text };
}

let admin: Knex;
const events: { headers: IncomingHttpHeaders; body: string }[] = [];
const lineageServer = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    events.push({ headers: req.headers, body });
    res.writeHead(201).end();
  });
});

beforeAll(async () => {
  generateLanding(landing);
  admin = knex({ client: 'pg', connection: PG_URL });
  try {
    await admin.raw('SELECT 1');
  } catch (e) {
    throw new Error(`PostgreSQL at ${new URL(PG_URL).host} is not reachable (${(e as Error).message}); start it or set WAREHOUSE_TEST_PG_URL. This test never skips.`);
  }
  await admin.raw(`CREATE DATABASE ${database}`);
  await new Promise<void>((r) => lineageServer.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => lineageServer.close(r));
  await admin?.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.destroy();
  rmSync(work, { recursive: true, force: true });
});

function envOf(extra: Record<string, string> = {}) {
  return baseEnv({
    ...CANARY,
    LAKE_ROOT: `s3://${bucket}/lake`,
    LANDING_PATH: landing,
    AWS_ENDPOINT_URL_S3: endpoint,
    WAREHOUSE_PORT: new URL(PG_URL).port || '5432',
    LINEAGE_URL: `http://127.0.0.1:${(lineageServer.address() as AddressInfo).port}`,
    // Debug logs are where a careless line would print a connection or a key.
    LOG_LEVEL: 'debug',
    ...extra,
  });
}

/** Where each canary was found: "<canary name> in <place>". */
function findCanaries(place: string, text: string): string[] {
  return Object.entries(CANARY)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => `${k} in ${place}`);
}

it('leaks no secret and no planted personal data into any output of a full run, nor of failing runs', async () => {
  const config = path.join(work, 'leaks.yaml');
  writeFileSync(config, leakConfig());
  const runs: (StepRun & { name: string })[] = [];
  const pipeline = await runPipeline({ config, env: envOf() });
  pipeline.forEach((r, i) => runs.push({ ...r, name: `step ${i}` }));
  const failed = pipeline.find((r) => r.status !== 0);
  if (failed) throw new Error(`the pipeline failed (exit ${failed.status}):\n${failed.stderr.slice(-3000)}`);
  expect(pipeline).toHaveLength(7);

  // Failures provoked with the canaries in play: their messages are scanned too.
  const badVault = await startStep('mask', [], { config, env: envOf({ VAULT_KEY: `canary-not-hex-${CANARY.MASK_HMAC_KEY}` }) });
  expect(badVault.status).toBe(2);
  runs.push({ ...badVault, name: 'mask with a malformed VAULT_KEY' });
  const noWarehouse = await startStep('load-warehouse', [], { config, env: envOf({ WAREHOUSE_PORT: '1' }) });
  expect(noWarehouse.status).not.toBe(0);
  runs.push({ ...noWarehouse, name: 'load-warehouse with the warehouse unreachable' });

  const storage = openStorage(`s3://${bucket}/lake`, { endpoint, forcePathStyle: true });
  const pii = plantedPii();
  expect(pii.whole.size).toBeGreaterThan(3000);
  const leaks: string[] = [];
  let scanned = 0;
  const scanText = (place: string, text: string, forPii: boolean) => {
    scanned++;
    leaks.push(...findCanaries(place, text));
    if (forPii) for (const v of pii.text) if (text.includes(v)) leaks.push(`planted "${v}" in ${place}`);
  };

  for (const r of runs) {
    scanText(`${r.name} stdout (summary / XCom)`, r.stdout, true);
    scanText(`${r.name} stderr (logs)`, r.stderr, true);
  }
  for await (const o of lakeTextObjects(storage)) scanText(o.key, o.text, !o.key.startsWith('_vault/'));
  for (const e of events) {
    scanText('a lineage event', e.body, true);
    // The key goes in the Authorization header, where it belongs.
    expect(e.headers.authorization).toBe(`Bearer ${CANARY.LINEAGE_API_KEY}`);
  }
  expect(events.length).toBeGreaterThanOrEqual(14);
  const downstreamOfMask = (dataset: string) => dataset.startsWith('processed/masked/') || dataset.startsWith('curated/');
  let cells = 0;
  let upstreamPii = 0;
  for await (const c of lakeStringCells(storage, () => true)) {
    cells++;
    leaks.push(...findCanaries(`${c.dataset}.${c.column}`, c.value));
    if (downstreamOfMask(c.dataset) && pii.whole.has(c.value)) leaks.push(`planted "${c.value}" in ${c.dataset}.${c.column}`);
    if (c.dataset === 'processed/customers' && pii.whole.has(c.value)) upstreamPii++;
  }
  expect(cells).toBeGreaterThan(50_000);
  // Controls: the scan does find the planted values where they belong (before mask), and every canary in a text holding them.
  expect(upstreamPii).toBeGreaterThan(3000);
  expect(findCanaries('control', JSON.stringify(CANARY))).toHaveLength(Object.keys(CANARY).length);

  const pg = new URL(PG_URL);
  const wh = knex({ client: 'pg', connection: { host: pg.hostname, port: Number(pg.port || 5432), user: decodeURIComponent(pg.username), database } });
  try {
    const tables = (await wh.raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).rows as { table_name: string }[];
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['fact_sales', 'dim_customer']));
    for (const { table_name } of tables) {
      for (const row of (await wh(table_name).select('*')) as Record<string, unknown>[]) {
        for (const [col, v] of Object.entries(row)) {
          if (typeof v !== 'string') continue;
          leaks.push(...findCanaries(`warehouse ${table_name}.${col}`, v));
          if (pii.whole.has(v)) leaks.push(`planted "${v}" in warehouse ${table_name}.${col}`);
        }
      }
    }
  } finally {
    await wh.destroy();
  }

  recordFigures({ suite: 'secret and PII leak scan', trials: runs.length, leaks: leaks.length, detail: { texts_scanned: scanned, parquet_cells: cells, lineage_events: events.length, planted_values: pii.whole.size } });
  expect(leaks.slice(0, 20)).toEqual([]);
});
