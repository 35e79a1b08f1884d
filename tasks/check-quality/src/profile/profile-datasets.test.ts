/**
 * Profiling on a thread gives what profiling inline gives. The thread runs the compiled entry
 * (dist/profile/profile-thread.js: `npm run build` first, as `npm test` does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { Lake, LocalStorage } from '@salesflow/lake';
import { profileDatasets, profileOnThread } from './profile-datasets';

const ENTRY = path.resolve(__dirname, '../../dist/profile/profile-thread.js');
const DS = '2026-11-26';
const SCHEMA: ColumnDef[] = [
  { name: 'id', kind: 'string' },
  { name: 'qty', kind: 'int32' },
  { name: 'amount', kind: 'decimal', precision: 12, scale: 2 },
];

describe('profileOnThread', () => {
  let dir: string;
  let lake: Lake;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'profile-thread-'));
    lake = new Lake(new LocalStorage(dir));
    const w = lake.openPartition({ dataset: 'processed/masked/orders', ds: DS, step: 'test', runId: 'r1' });
    const b = new BatchBuilder(SCHEMA);
    for (let i = 0; i < 20_000; i++) b.appendObject({ id: i % 7 === 0 ? null : `O${i % 5000}`, qty: i % 13, amount: `${i % 300}.25` });
    await w.write(b.finish());
    await w.commit({});
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const lakeConfig = () => ({ root: dir, s3: { region: 'us-east-1', server_side_encryption: 'AES256' as const }, retention_days: { raw: 90, processed: 180, curated: 365, vault: 365 }, row_group_size: 131072, compression: { raw: 'snappy' as const, processed: 'snappy' as const, curated: 'zstd' as const } });

  it('gives the profiles and partitions read that profiling inline gives, skipping a dataset without a partition', async () => {
    const sets = ['processed/masked/orders', 'curated/dim_absent'];
    const inline = await profileDatasets(lake, DS, sets, 4096);
    const threaded = await profileOnThread({ lake: lakeConfig(), ds: DS, batchSize: 4096, datasets: sets }, ENTRY);
    expect(inline.profiles).toHaveLength(1);
    expect(inline.profiles[0]!.rows).toBe(20_000);
    expect(threaded).toEqual(inline);
  });

  it('rejects with the thread\'s error when a partition cannot be read', async () => {
    await lake.storage.putBytes(`processed/masked/broken/dt=${DS}/_manifest.json`, Buffer.from('{"not": "a manifest"'), 'application/json');
    await expect(profileOnThread({ lake: lakeConfig(), ds: DS, batchSize: 4096, datasets: ['processed/masked/broken'] }, ENTRY)).rejects.toThrow(/profiling failed: .*broken/);
  });
});
