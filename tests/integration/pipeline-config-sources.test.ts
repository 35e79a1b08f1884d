/**
 * config/pipeline_config.yaml as shipped, run whole by the local runner against real services:
 * the lake in S3 (LAKE_TEST_S3_ENDPOINT), the sales system in PostgreSQL and the store system in
 * MariaDB/MySQL (both seeded by tasks/sample-data/dist/seed-main.js into databases made for this
 * test), the sample inventory API (tasks/sample-api/dist/main.js on a free port), and a PostgreSQL
 * warehouse database made for this test. Needs `npm run build`. Everything is dropped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createTempDatabase, SERVERS, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const bucket = `sources-${randomBytes(4).toString('hex')}`;
let sales: TempDatabase;
let stores: TempDatabase;
let warehouse: TempDatabase;
let api: ChildProcess;
let apiUrl: string;

const urlOf = (t: TempDatabase) => {
  const u = new URL(SERVERS[t.client]);
  u.pathname = `/${t.name}`;
  return u.toString();
};

beforeAll(async () => {
  [sales, stores, warehouse] = await Promise.all([createTempDatabase('postgres'), createTempDatabase('mysql'), createTempDatabase('postgres')]);
  api = spawn(process.execPath, [path.join(ROOT, 'tasks/sample-api/dist/main.js')], { env: { ...process.env, PORT: '0', SAMPLE_API_TOKEN: 'inventory-token' }, stdio: ['ignore', 'pipe', 'inherit'] });
  apiUrl = (JSON.parse(await new Promise<string>((r) => createInterface({ input: api.stdout! }).once('line', r))) as { url: string }).url;
});

afterAll(async () => {
  api?.kill('SIGTERM');
  await Promise.all([sales?.drop(), stores?.drop(), warehouse?.drop()]);
  for (;;) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
    if (!listed?.Contents?.length) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
});

it('ingests PostgreSQL, MySQL, the API and S3 files, and carries them to the warehouse', async () => {
  const seed = (client: string, t: TempDatabase) => spawnSync(process.execPath, [path.join(ROOT, 'tasks/sample-data/dist/seed-main.js'), '--client', client, '--url', urlOf(t), '--scale', '0.2', '--ds', DS], { cwd: ROOT, encoding: 'utf8' });
  expect(seed('postgres', sales).status).toBe(0);
  expect(seed('mysql', stores).status).toBe(0);
  const db = (prefix: string, t: TempDatabase) => ({
    [`${prefix}_HOST`]: t.connection.host,
    [`${prefix}_PORT`]: String(t.connection.port ?? ''),
    [`${prefix}_USER`]: t.connection.user,
    [`${prefix}_NAME`]: t.name,
    ...(t.connection.password ? { [`${prefix}_PASSWORD`]: t.connection.password } : {}),
  });
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    LAKE_BUCKET: bucket,
    S3_ENDPOINT: endpoint,
    LANDING_URI: `s3://${bucket}/landing`,
    MASK_HMAC_KEY: '3b54c251f9ba39932cb9c2274ac50030579858075a21a01c',
    MASK_TOKENIZE_KEY: '47b0e874d03d6cd1f971474916136a64eb2b6268caa3ada3',
    VAULT_KEY: 'ef7ae64e0830cfd924a79122bcd1ed0b0ec22f813dec3fd2fcc30f1c1331cbbd',
    INVENTORY_API_URL: apiUrl,
    INVENTORY_API_TOKEN: 'inventory-token',
    ...db('SALES_DB', sales),
    ...db('STORES_DB', stores),
    WAREHOUSE_HOST: warehouse.connection.host,
    WAREHOUSE_PORT: String(warehouse.connection.port ?? 5432),
    WAREHOUSE_USER: warehouse.connection.user,
    // The test servers trust local connections; the config requires some password all the same.
    WAREHOUSE_PASSWORD: warehouse.connection.password ?? 'unused-with-trust-auth',
    WAREHOUSE_DATABASE: warehouse.name,
  };
  // The initial load of the database sources (the sample transactions fall before DS): a full refresh of DS, which the pipeline's own ingest of DS then repeats.
  const setup = spawnSync(process.execPath, [path.join(ROOT, 'tasks/setup/dist/main.js'), '--config', 'config/pipeline_config.yaml', '--ds', DS], { cwd: ROOT, env, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`setup failed with exit ${setup.status}:\n${setup.stderr.slice(-4000)}`);
  for (const source of ['sales_db', 'stores_db']) {
    const initial = spawnSync(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', 'config/pipeline_config.yaml', '--ds', DS, '--source', source, '--full-refresh'], { cwd: ROOT, env, encoding: 'utf8' });
    if (initial.status !== 0) throw new Error(`initial load of ${source} failed with exit ${initial.status}:\n${initial.stderr.slice(-4000)}`);
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tasks/run-pipeline/dist/main.js'), '--config', 'config/pipeline_config.yaml', '--ds', DS], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pipeline failed with exit ${r.status}:\n${r.stderr.slice(-4000)}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { steps: { task: string; args: string[]; rows_out: number }[] };
  expect(summary.steps.filter((s) => s.task === 'ingest').map((s) => [s.args[1], s.rows_out])).toEqual([
    ['sales_db', 447 + 200 + 2000],
    ['stores_db', 50],
    ['inventory', 600],
    ['landing', 0],
  ]);
  const report = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `lake/_runs/dt=${DS}/ingest-sales_db.json` }))).Body!.transformToString()) as { metrics: { watermarks: Record<string, { after: string }> } };
  expect(Object.keys(report.metrics.watermarks).sort()).toEqual(['customers', 'products', 'sales_transactions']);
  const wh = warehouse.db;
  const [{ n }] = await wh('fact_sales').count({ n: '*' });
  expect(Number(n)).toBeGreaterThan(1950);
});
