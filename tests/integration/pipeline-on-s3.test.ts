/**
 * The whole pipeline with its lake and landing files in S3 (the test server named by
 * LAKE_TEST_S3_ENDPOINT: moto in CI, MinIO through testcontainers where Docker runs), and the
 * local runner stopping at the first failing step with that step's exit code.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetBucketLifecycleConfigurationCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import knex from 'knex';

const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const bucket = `pipeline-${randomBytes(4).toString('hex')}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'pipeline-s3-'));

function run(args: string[], extraEnv: Record<string, string>) {
  const env = { ...process.env, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...extraEnv };
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, summary: JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as Record<string, any> };
}

async function getJson(key: string): Promise<any> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await r.Body!.transformToString());
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

it('runs every step with the lake and the landing files in S3', async () => {
  const landing = path.join(work, 'landing');
  expect(run(['tasks/sample-data/dist/main.js', '--out', landing, '--ds', DS], {}).status).toBe(0);
  // The demo config reads <LANDING_PATH>/dt=<ds>/.
  const env = { LAKE_ROOT: `s3://${bucket}/lake`, LANDING_PATH: `s3://${bucket}/landing`, WAREHOUSE_SQLITE: path.join(work, 'wh.sqlite') };
  // setup creates the bucket; the landing files are uploaded after it, as a source system would.
  expect(run(['tasks/setup/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', DS], env).status).toBe(0);
  for (const f of readdirSync(landing)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `landing/dt=${DS}/${f}`, Body: readFileSync(path.join(landing, f)) }));
  }
  const r = run(['tasks/run-pipeline/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', DS], env);
  if (r.status !== 0) throw new Error(`pipeline failed with exit ${r.status}:\n${r.stderr.slice(-3000)}`);

  const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  expect(lifecycle.Rules!.map((x) => [x.Filter?.Prefix ?? (x as any).Prefix, x.Expiration?.Days]).sort()).toEqual([
    ['lake/_vault/', 365],
    ['lake/curated/', 365],
    ['lake/processed/', 180],
    ['lake/raw/', 90],
  ].sort());
  const raw = await getJson(`lake/raw/files/landing/sales_transactions/dt=${DS}/_manifest.json`);
  expect(raw.rows).toBe(10_001);
  expect(raw.meta.inputs[0].uri).toBe(`s3://${bucket}/landing/dt=${DS}/sales_transactions.csv`);
  const fact = await getJson(`lake/curated/fact_sales/dt=${DS}/_manifest.json`);
  expect(fact.rows).toBe(9_998);
  expect((await getJson(`lake/quality/dt=${DS}/report.json`)).status).toBe('passed');
  const db = knex({ client: 'better-sqlite3', connection: { filename: env.WAREHOUSE_SQLITE }, useNullAsDefault: true });
  try {
    const [{ n }] = await db('fact_sales').count({ n: '*' });
    expect(Number(n)).toBe(9_998);
  } finally {
    await db.destroy();
  }
});

it('stops at the first failing step with its exit code', () => {
  const env = { LAKE_ROOT: path.join(work, 'lake-fail'), LANDING_PATH: path.join(work, 'empty-landing'), WAREHOUSE_SQLITE: path.join(work, 'fail.sqlite') };
  const r = run(['tasks/run-pipeline/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', DS], env);
  expect(r.status).toBe(4);
  expect(r.summary.steps.map((s: any) => [s.task, s.exit_code])).toEqual([
    ['setup', 0],
    ['ingest', 4],
  ]);
});
