/**
 * File sources that read only files not ingested before (new_files_only), on a local folder and
 * under an s3:// prefix on the test S3 server (LAKE_TEST_S3_ENDPOINT: moto in CI). The bucket and
 * folders are made per test with a random name.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExitCode } from '@salesflow/errors';
import { datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext, tempLake } from '../../tasks/ingest/src/ingest-fixture.test-util';

const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');

const entity = { name: 'sales', pattern: 'sales_*.csv*', format: 'csv', new_files_only: true };
const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id).sort();

it('reads only new or rewritten files of a local folder; a re-run repeats its ds; --full-refresh reads all', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'landing-'));
  writeFileSync(path.join(dir, 'sales_1.csv'), 'id,amount\n1,10\n2,20\n');
  writeFileSync(path.join(dir, 'sales_2.csv.gz'), gzipSync('id,amount\n3,30\n'));
  const config = configWith([{ name: 'drop', kind: 'files', path: dir, entities: [entity] }]);
  const lake = tempLake();
  const dataset = datasets.raw('files', 'drop', 'sales');
  expect((await runIngest(stepContext(config, lake, 'drop', '2026-11-24'))).rowsOut).toBe(3);

  writeFileSync(path.join(dir, 'sales_3.csv'), 'id,amount\n4,40\n');
  writeFileSync(path.join(dir, 'sales_1.csv'), 'id,amount\n1,11\n2,20\n');
  utimesSync(path.join(dir, 'sales_1.csv'), new Date(), new Date(Date.now() + 5000));
  await runIngest(stepContext(config, lake, 'drop', '2026-11-25'));
  expect(ids((await readRaw(lake, dataset, '2026-11-25')).rows)).toEqual(['1', '2', '4']);

  await runIngest(stepContext(config, lake, 'drop', '2026-11-25'));
  expect(ids((await readRaw(lake, dataset, '2026-11-25')).rows)).toEqual(['1', '2', '4']);

  const quiet = await runIngest(stepContext(config, lake, 'drop', '2026-11-26'));
  expect(quiet).toMatchObject({ rowsOut: 0, metrics: expect.objectContaining({ skipped: ['sales'] }) });

  expect((await runIngest(stepContext(config, lake, 'drop', '2026-11-26', true))).rowsOut).toBe(4);
});

it('still fails a required entity when no file exists, whatever was ingested before', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'landing-'));
  mkdirSync(path.join(dir, 'dt=2026-11-24'));
  writeFileSync(path.join(dir, 'dt=2026-11-24', 'sales_1.csv'), 'id,amount\n1,10\n');
  const config = configWith([{ name: 'daily', kind: 'files', path: `${dir}/dt={ds}`, entities: [{ name: 'sales', pattern: 'sales_*.csv' }] }]);
  expect(config.sources[1]!.entities[0]).toMatchObject({ new_files_only: true });
  const lake = tempLake();
  expect((await runIngest(stepContext(config, lake, 'daily', '2026-11-24'))).rowsOut).toBe(1);
  mkdirSync(path.join(dir, 'dt=2026-11-25'));
  await expect(runIngest(stepContext(config, lake, 'daily', '2026-11-25'))).rejects.toMatchObject({ exitCode: ExitCode.badInput, message: expect.stringContaining('No file matches') });
});

it('does the same under an s3:// prefix, matching by glob, gzip included', async () => {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const bucket = `landing-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `in/${key}`, Body: body }));
  try {
    await put('sales_a.csv', 'id,amount\n1,10\n');
    await put('sales_b.csv.gz', gzipSync('id,amount\n2,20\n'));
    await put('other.csv', 'x\n1\n');
    const config = configWith([{ name: 's3drop', kind: 'files', path: `s3://${bucket}/in`, entities: [entity] }]);
    const s3Config = { ...config, lake: { ...config.lake, s3: { ...config.lake.s3, endpoint, force_path_style: true } } };
    const lake = tempLake();
    const dataset = datasets.raw('files', 's3drop', 'sales');
    await runIngest(stepContext(s3Config, lake, 's3drop', '2026-11-24'));
    expect(ids((await readRaw(lake, dataset, '2026-11-24')).rows)).toEqual(['1', '2']);
    await put('sales_c.csv', 'id,amount\n3,30\n');
    const second = await runIngest(stepContext(s3Config, lake, 's3drop', '2026-11-25'));
    expect(ids((await readRaw(lake, dataset, '2026-11-25')).rows)).toEqual(['3']);
    expect(second.inputs.map((i) => i.uri)).toEqual([`s3://${bucket}/in/sales_c.csv`]);
  } finally {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (listed.Contents?.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  }
});
