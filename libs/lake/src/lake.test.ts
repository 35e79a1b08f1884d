/**
 * The partition contract, run on a local folder and on the S3 test server (LAKE_TEST_S3_ENDPOINT,
 * started by .ci/run or by tests/global-setup.js): round trip of every column kind, manifests as
 * the commit point, re-runs replacing a partition, large files through multipart upload.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, batchToObjects, schemaOf, type ColumnDef } from '@salesflow/batches';
import { Lake } from './lake';
import { MANIFEST_FILE } from './partition/manifest';
import { LocalStorage, S3Storage } from './storage/index';
import type { Storage } from './storage';

const COLUMNS: ColumnDef[] = [
  { name: 'transaction_id', kind: 'string', nullable: false },
  { name: 'quantity', kind: 'int32' },
  { name: 'big', kind: 'int64' },
  { name: 'total_amount', kind: 'float64' },
  { name: 'returned', kind: 'bool' },
  { name: 'sale_date', kind: 'date' },
  { name: 'transaction_timestamp', kind: 'timestamp' },
];

function row(i: number): unknown[] {
  return [
    `TXN${String(i).padStart(8, '0')}`,
    i % 7 === 0 ? null : i % 10,
    i % 5 === 0 ? null : BigInt(i) * 1_000_000_007n,
    i % 3 === 0 ? null : Math.round(i * 13.37) / 100,
    i % 4 === 0 ? null : i % 2 === 0,
    i % 6 === 0 ? null : Date.UTC(2026, 0, 1 + (i % 300)),
    i % 9 === 0 ? null : Date.UTC(2026, 0, 1, 0, 0, 0, i * 1000),
  ];
}

function batches(from: number, count: number, size: number): ReturnType<BatchBuilder['finish']>[] {
  const out = [];
  const b = new BatchBuilder(COLUMNS);
  for (let i = from; i < from + count; i++) {
    b.appendRow(row(i));
    if (b.length === size) out.push(b.finish());
  }
  if (b.length) out.push(b.finish());
  return out;
}

async function readAll(lake: Lake, dataset: string, ds: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const b of lake.readPartition(dataset, ds, 'test')) rows.push(...batchToObjects(b));
  return rows;
}

interface Target {
  storage: Storage;
  cleanup(): Promise<void>;
}

async function localTarget(): Promise<Target> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lake-test-'));
  return { storage: new LocalStorage(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function s3Target(): Promise<Target> {
  const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
  const storage = new S3Storage({ bucket: `lake-${randomBytes(5).toString('hex')}`, prefix: 'warehouse-lake', endpoint, region: 'us-east-1', forcePathStyle: true });
  await storage.ensureRoot();
  return {
    storage,
    cleanup: async () => {
      await storage.deleteMany((await storage.list('')).map((o) => o.key));
    },
  };
}

describe.each([
  ['local folder', localTarget],
  ['S3', s3Target],
])('Lake on %s', (_name, makeTarget) => {
  let target: Target;
  let lake: Lake;
  beforeAll(async () => {
    target = await makeTarget();
    lake = new Lake(target.storage, { rowGroupSize: 4096 });
  });
  afterAll(() => target.cleanup());

  it('round-trips every column kind, nulls included, across files and row groups', async () => {
    const w = lake.openPartition({ dataset: 'raw/files/src/types', ds: '2026-11-26', step: 'test', runId: 'r1', maxRowsPerFile: 6000 });
    for (const b of batches(0, 10_000, 1500)) await w.write(b);
    const m = await w.commit({ note: 'x' });
    expect(m.rows).toBe(10_000);
    expect(m.files.length).toBe(2);
    expect(m.schema.map((c) => [c.name, c.kind])).toEqual(COLUMNS.map((c) => [c.name, c.kind]));
    expect(m.meta).toEqual({ note: 'x' });
    const rows = await readAll(lake, 'raw/files/src/types', '2026-11-26');
    expect(rows).toHaveLength(10_000);
    for (const i of [0, 1, 2, 3, 7, 9, 42, 6001, 9999]) {
      expect(Object.values(rows[i]!)).toEqual(row(i));
    }
  });

  it.each(['lz4', 'snappy', 'uncompressed'] as const)('writes a zone with lake compression %s and reads every row back', async (codec) => {
    const zoned = new Lake(target.storage, { rowGroupSize: 4096, compression: { processed: codec } });
    const w = zoned.openPartition({ dataset: `processed/codec_${codec}`, ds: '2026-11-26', step: 'test', runId: 'r1' });
    for (const b of batches(0, 5_000, 1500)) await w.write(b);
    await w.commit({});
    const rows = await readAll(zoned, `processed/codec_${codec}`, '2026-11-26');
    expect(rows).toHaveLength(5_000);
    for (const i of [0, 7, 4999]) expect(Object.values(rows[i]!)).toEqual(row(i));
  });

  it('stores no URL password in a JSON document or a manifest', async () => {
    await lake.writeJson('_runs/dt=2026-11-26/test.json', { error: 'connect postgres://etl:p/w@rd@db:5432/x failed', rows: 3n });
    const text = Buffer.from((await target.storage.getBytes('_runs/dt=2026-11-26/test.json'))!).toString('utf8');
    expect(JSON.parse(text)).toEqual({ error: 'connect postgres://etl:***@db:5432/x failed', rows: '3' });
    const w = lake.openPartition({ dataset: 'raw/files/src/redacted', ds: '2026-11-26', step: 'test', runId: 'r1' });
    for (const b of batches(0, 10, 10)) await w.write(b);
    const m = await w.commit({ source: 'mysql://u:a/b@h/db' });
    expect(m.meta).toEqual({ source: 'mysql://u:***@h/db' });
  });

  it('copies the files of another partition as they are, and an abort removes the copies', async () => {
    const source = lake.openPartition({ dataset: 'processed/copy-src', ds: '2026-11-26', step: 'test', runId: 'r1', maxRowsPerFile: 600 });
    await source.writeAll(batches(0, 1000, 250));
    const input = await source.commit();
    expect(input.files.length).toBe(2);

    const copy = lake.openPartition({ dataset: 'processed/copy-dst', ds: '2026-11-26', step: 'test', runId: 'r2', schema: schemaOf(input.schema) });
    for (const f of input.files) await copy.copyFile(f);
    expect(copy.rows).toBe(1000);
    const m = await copy.commit();
    expect(m.files.map((f) => [f.rows, f.bytes])).toEqual(input.files.map((f) => [f.rows, f.bytes]));
    expect(m.files.every((f) => f.key.startsWith('processed/copy-dst/dt=2026-11-26/part-'))).toBe(true);
    expect(m.schema_hash).toBe(input.schema_hash);
    expect(await readAll(lake, 'processed/copy-dst', '2026-11-26')).toEqual(await readAll(lake, 'processed/copy-src', '2026-11-26'));

    const aborted = lake.openPartition({ dataset: 'processed/copy-aborted', ds: '2026-11-26', step: 'test', runId: 'r3', schema: schemaOf(input.schema) });
    await aborted.copyFile(input.files[0]!);
    await aborted.abort();
    expect(await target.storage.list('processed/copy-aborted/')).toEqual([]);
  });

  it('does not see a partition without a manifest', async () => {
    const w = lake.openPartition({ dataset: 'raw/files/src/uncommitted', ds: '2026-11-26', step: 'test', runId: 'r1' });
    await w.writeAll(batches(0, 100, 100));
    // Files are there, but no manifest: readers must not see them.
    expect(await lake.readManifest('raw/files/src/uncommitted', '2026-11-26')).toBeUndefined();
    expect(await lake.listPartitions('raw/files/src/uncommitted')).toEqual([]);
    await expect(readAll(lake, 'raw/files/src/uncommitted', '2026-11-26')).rejects.toMatchObject({ exitCode: 4 });
    await w.abort();
    expect(await target.storage.list('raw/files/src/uncommitted/')).toEqual([]);
  });

  it('replaces a partition on re-run: old rows gone, old files removed after the new manifest', async () => {
    const ds = '2026-11-25';
    const first = lake.openPartition({ dataset: 'processed/sales', ds, step: 'test', runId: 'run-1' });
    await first.writeAll(batches(0, 500, 250));
    const m1 = await first.commit();
    const second = lake.openPartition({ dataset: 'processed/sales', ds, step: 'test', runId: 'run-2' });
    await second.writeAll(batches(1000, 300, 300));
    // Until the second commit, readers still get the first run's rows.
    expect((await readAll(lake, 'processed/sales', ds))[0]!.transaction_id).toBe('TXN00000000');
    const m2 = await second.commit();
    const rows = await readAll(lake, 'processed/sales', ds);
    expect(rows).toHaveLength(300);
    expect(rows[0]!.transaction_id).toBe('TXN00001000');
    expect(m2.producer.run_id).toBe('run-2');
    const keys = (await target.storage.list('processed/sales/dt=2026-11-25/')).map((o) => o.key);
    expect(keys.sort()).toEqual([...m2.files.map((f) => f.key), `processed/sales/dt=${ds}/${MANIFEST_FILE}`].sort());
    expect(keys).not.toContain(m1.files[0]!.key);
    expect(await lake.listPartitions('processed/sales')).toEqual([ds]);
  });

  it('leaves a concurrent attempt\'s fresh files alone and removes old orphans', async () => {
    const ds = '2026-11-24';
    // A zombie attempt wrote a file but has not committed (yet).
    const zombie = lake.openPartition({ dataset: 'processed/concurrent', ds, step: 'test', runId: 'zombie' });
    await zombie.writeAll(batches(0, 10, 10));
    await (zombie as unknown as { closeFile(): Promise<void> }).closeFile();
    const retry = lake.openPartition({ dataset: 'processed/concurrent', ds, step: 'test', runId: 'retry' });
    await retry.writeAll(batches(0, 20, 20));
    await retry.commit();
    // The zombie commits later: its files must still be there for its manifest to be readable.
    const m = await zombie.commit();
    expect(m.producer.run_id).toBe('zombie');
    expect(await readAll(lake, 'processed/concurrent', ds)).toHaveLength(10);
    // A later commit with no grace period clears every unlisted part file.
    const tidy = lake.openPartition({ dataset: 'processed/concurrent', ds, step: 'test', runId: 'tidy', orphanGraceMs: 0 });
    await tidy.writeAll(batches(0, 5, 5));
    const last = await tidy.commit();
    expect((await target.storage.list('processed/concurrent/')).map((o) => o.key).sort()).toEqual([...last.files.map((f) => f.key), `processed/concurrent/dt=${ds}/${MANIFEST_FILE}`].sort());
  });

  it('fails with a retryable error when the partition is replaced during a read', async () => {
    const ds = '2026-11-23';
    const first = lake.openPartition({ dataset: 'processed/replaced', ds, step: 'test', runId: 'a' });
    await first.writeAll(batches(0, 10, 10));
    const old = await first.commit();
    const second = lake.openPartition({ dataset: 'processed/replaced', ds, step: 'test', runId: 'b' });
    await second.writeAll(batches(0, 10, 10));
    await second.commit();
    const reading = async () => {
      for await (const _ of lake.readManifestBatches(old)) void _;
    };
    await expect(reading()).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('was replaced while being read') });
  });

  it('rejects a column type the lake cannot describe before writing anything', async () => {
    const arrow = await import('apache-arrow');
    const table = arrow.tableFromArrays({ x: new Float32Array([1, 2]) });
    const odd = new arrow.RecordBatch(new arrow.Schema([new arrow.Field('x', new arrow.Decimal(2, 10, 256))]), table.batches[0]!.data);
    const w = lake.openPartition({ dataset: 'processed/odd', ds: '2026-11-26', step: 'test', runId: 'r' });
    await expect(w.write(odd)).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('Column "x"') });
    await w.abort();
    expect(await target.storage.list('processed/odd/')).toEqual([]);
  });

  it('commits an empty partition with its schema', async () => {
    const schema = new BatchBuilder(COLUMNS).schema;
    const w = lake.openPartition({ dataset: 'processed/empty', ds: '2026-11-26', step: 'test', runId: 'r', schema });
    const m = await w.commit();
    expect(m.rows).toBe(0);
    expect(m.schema.map((c) => c.name)).toEqual(COLUMNS.map((c) => c.name));
    expect(await readAll(lake, 'processed/empty', '2026-11-26')).toEqual([]);
  });

  it('writes a large partition file (multipart on S3) and reads every row back', async () => {
    // Random strings do not compress, so 500k rows make a file well above the 8 MB part size.
    const cols: ColumnDef[] = [
      { name: 'id', kind: 'int32' },
      { name: 'payload', kind: 'string' },
    ];
    const w = lake.openPartition({ dataset: 'raw/files/src/large', ds: '2026-11-26', step: 'test', runId: 'r' });
    const b = new BatchBuilder(cols);
    let checksum = 0;
    for (let i = 0; i < 500_000; i++) {
      b.appendRow([i, randomBytes(32).toString('base64')]);
      checksum += i;
      if (b.length === 50_000) await w.write(b.finish());
    }
    const m = await w.commit();
    expect(m.files[0]!.bytes).toBeGreaterThan(12 * 1024 * 1024);
    let rows = 0;
    let sum = 0;
    for await (const batch of lake.readPartition('raw/files/src/large', '2026-11-26', 'test', { columns: ['id'] })) {
      rows += batch.numRows;
      const ids = batch.getChild('id')!;
      for (let r = 0; r < batch.numRows; r++) sum += ids.get(r) as number;
    }
    expect(rows).toBe(500_000);
    expect(sum).toBe(checksum);
  });

  it('keeps JSON documents (state, run reports)', async () => {
    await lake.writeJson('_state/src/customers.json', { watermark: '2026-11-26T00:00:00Z', n: 3n });
    expect(await lake.readJson('_state/src/customers.json')).toEqual({ watermark: '2026-11-26T00:00:00Z', n: '3' });
    expect(await lake.readJson('_state/src/none.json')).toBeUndefined();
  });
});
