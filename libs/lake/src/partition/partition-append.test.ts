/**
 * PartitionWriter.commitAppend on a local folder and on the S3 test server (LAKE_TEST_S3_ENDPOINT,
 * conditional PUTs): appends keep the files already listed, concurrent appends lose none of each
 * other's files, a refused merge commits nothing and removes its files, and a schema change is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { Lake } from '../lake';
import { LocalStorage, S3Storage } from '../storage/index';
import type { Storage } from '../storage';
import type { Manifest } from './manifest';

const COLUMNS: ColumnDef[] = [
  { name: 'id', kind: 'int32', nullable: false },
  { name: 'writer', kind: 'string' },
];
const DATASET = 'raw/kafka/s/e';
const DS = '2026-11-26';

function batch(ids: readonly number[], writer: string, columns = COLUMNS) {
  const b = new BatchBuilder(columns);
  for (const id of ids) b.appendRow(columns.length === 2 ? [id, writer] : [id]);
  return b.finish();
}

/** A merge that counts appends in meta.appends, as a stream's offset ranges would be extended. */
const counting = (previous: Manifest | undefined) => ({ meta: { appends: ((previous?.meta.appends as number | undefined) ?? 0) + 1 } });

async function readIds(lake: Lake): Promise<number[]> {
  const ids: number[] = [];
  for await (const b of lake.readPartition(DATASET, DS, 'test')) ids.push(...batchToObjects(b).map((r) => Number(r.id)));
  return ids.sort((a, b) => a - b);
}

const targets: ReadonlyArray<{ kind: string; open: () => Promise<{ storage: Storage; cleanup: () => Promise<void> }> }> = [
  {
    kind: 'local',
    open: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'lake-append-'));
      return { storage: new LocalStorage(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    kind: 's3',
    open: async () => {
      const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
      if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
      const storage = new S3Storage({ bucket: `append-${randomBytes(5).toString('hex')}`, prefix: 'lake', endpoint, region: 'us-east-1', forcePathStyle: true });
      await storage.ensureRoot();
      return { storage, cleanup: async () => storage.deleteMany((await storage.list('')).map((o) => o.key)) };
    },
  },
];

describe.each(targets)('$kind commitAppend', ({ open }) => {
  let storage: Storage;
  let cleanup: () => Promise<void>;
  let lake: Lake;
  beforeEach(async () => {
    ({ storage, cleanup } = await open());
    lake = new Lake(storage);
  });
  afterEach(async () => cleanup());

  const writer = (runId = 'r') => lake.openPartition({ dataset: DATASET, ds: DS, step: 'ingest', runId, schema: batch([], '').schema });

  it('adds files to a committed partition and keeps the earlier ones listed', async () => {
    const first = lake.openPartition({ dataset: DATASET, ds: DS, step: 'ingest', runId: 'batch' });
    await first.write(batch([1, 2, 3], 'batch'));
    await first.commit({ appends: 0 });
    const w = writer();
    await w.write(batch([4, 5], 'follow'));
    const r = await w.commitAppend(counting);
    expect(r).toMatchObject({ attempts: 1, manifest: { rows: 5, meta: { appends: 1 } } });
    expect(r.manifest!.files).toHaveLength(2);
    expect(await readIds(lake)).toEqual([1, 2, 3, 4, 5]);
    // An append of nothing to a new partition still gives it its schema file.
    const empty = lake.openPartition({ dataset: DATASET, ds: '2026-11-27', step: 'ingest', runId: 'r', schema: batch([], '').schema });
    expect((await empty.commitAppend(counting)).manifest).toMatchObject({ rows: 0, files: [{ rows: 0 }] });
  });

  it('loses no file when many writers append to one partition at once', async () => {
    const writers = 12;
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        const w = writer(`w${i}`);
        await w.write(batch([i * 10, i * 10 + 1], `w${i}`));
        return w.commitAppend(counting);
      }),
    );
    expect(results.every((r) => r.manifest)).toBe(true);
    // Some lost the race at least once and merged again.
    expect(results.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThan(writers);
    const m = (await lake.readManifest(DATASET, DS))!;
    expect(m.meta.appends).toBe(writers);
    expect(m.files).toHaveLength(writers);
    expect(await readIds(lake)).toEqual(Array.from({ length: writers }, (_, i) => [i * 10, i * 10 + 1]).flat());
    // No lock or temp file is left behind or listed.
    expect((await storage.list(`${DATASET}/`)).map((o) => o.key).filter((k) => !/part-|_manifest\.json$/.test(k))).toEqual([]);
  });

  it('commits nothing and removes its files when the merge refuses', async () => {
    const ok = writer();
    await ok.write(batch([1], 'a'));
    await ok.commitAppend(counting);
    const refused = writer();
    await refused.write(batch([2], 'b'));
    const r = await refused.commitAppend(() => ({ conflict: 'offsets already committed by another member' }));
    expect(r).toEqual({ conflict: 'offsets already committed by another member', attempts: 1 });
    expect(await readIds(lake)).toEqual([1]);
    expect((await storage.list(`${DATASET}/`)).filter((o) => o.key.endsWith('.parquet'))).toHaveLength(1);
  });

  it('replaces a partition only if its manifest is the version read, when asked to', async () => {
    const read = await lake.readManifestVersioned(DATASET, DS);
    expect(read).toEqual({ version: null });
    const follower = writer('follow');
    await follower.write(batch([1], 'f'));
    await follower.commitAppend(counting);
    // A batch re-run that read the partition before the follower's append must not replace it.
    const rerun = writer('batch');
    await rerun.write(batch([9], 'b'));
    await expect(rerun.commit({}, { ifVersion: read.version })).rejects.toMatchObject({ name: 'PartitionChangedError', message: expect.stringMatching(/committed by another writer/) });
    expect(await readIds(lake)).toEqual([1]);
    const now = await lake.readManifestVersioned(DATASET, DS);
    const again = writer('batch');
    await again.write(batch([9], 'b'));
    await again.commit({}, { ifVersion: now.version });
    expect(await readIds(lake)).toEqual([9]);
  });

  it('refuses files of another schema with exit 4', async () => {
    const ok = writer();
    await ok.write(batch([1], 'a'));
    await ok.commitAppend(counting);
    const other = lake.openPartition({ dataset: DATASET, ds: DS, step: 'ingest', runId: 'r' });
    await other.write(batch([2], '', [{ name: 'id', kind: 'int32', nullable: false }]));
    await expect(other.commitAppend(counting)).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/cannot mix them/) });
    expect(await readIds(lake)).toEqual([1]);
  });
});

describe('putBytesIf', () => {
  it.each(targets)('$kind: writes only over the version it read, or only when absent', async ({ open }) => {
    const { storage, cleanup } = await open();
    try {
      expect(await storage.putBytesIf('c/x.json', 'one', undefined)).toBe(true);
      expect(await storage.putBytesIf('c/x.json', 'again', undefined)).toBe(false);
      const v1 = (await storage.getVersioned('c/x.json'))!;
      expect(Buffer.from(v1.bytes).toString()).toBe('one');
      expect(await storage.putBytesIf('c/x.json', 'two', v1.version)).toBe(true);
      expect(await storage.putBytesIf('c/x.json', 'stale', v1.version)).toBe(false);
      expect(Buffer.from((await storage.getBytes('c/x.json'))!).toString()).toBe('two');
      expect(await storage.getVersioned('c/missing.json')).toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  it('breaks the lock of a local writer whose process is gone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lake-lock-'));
    try {
      const storage = new LocalStorage(dir);
      await storage.putBytes('c/x.json', 'one');
      const { writeFile } = await import('node:fs/promises');
      // pid 2^22+1 is above Linux's pid_max: no such process.
      await writeFile(path.join(dir, 'c', '.x.json.lock'), JSON.stringify({ pid: 4_194_305, host: os.hostname(), nonce: 'dead' }));
      const v = (await storage.getVersioned('c/x.json'))!;
      expect(await storage.putBytesIf('c/x.json', 'two', v.version)).toBe(true);
      expect((await storage.list('c/')).map((o) => o.key)).toEqual(['c/x.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
