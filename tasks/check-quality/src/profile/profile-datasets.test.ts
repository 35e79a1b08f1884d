/**
 * Profiling on the feed's thread gives what profiling inline gives. The thread runs the compiled
 * entry (dist/profile/profile-thread.js: `npm run build` first, as `npm test` does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { Lake, LocalStorage } from '@salesflow/lake';
import { profileDatasets } from './profile-datasets';
import { ProfileFeed } from './profile-feed';

const ENTRY = path.resolve(__dirname, '../../dist/profile/profile-thread.js');
const DS = '2026-11-26';
const SCHEMA: ColumnDef[] = [
  { name: 'id', kind: 'string' },
  { name: 'qty', kind: 'int32' },
  { name: 'amount', kind: 'decimal', precision: 12, scale: 2 },
  { name: 'at', kind: 'timestamp' },
  { name: 'flag', kind: 'bool' },
];

describe('ProfileFeed', () => {
  let dir: string;
  let lake: Lake;
  let feed: ProfileFeed | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'profile-thread-'));
    lake = new Lake(new LocalStorage(dir));
    for (const dataset of ['processed/masked/orders', 'processed/masked/returns']) {
      const w = lake.openPartition({ dataset, ds: DS, step: 'test', runId: 'r1' });
      // 20 batches of 1,000 rows: more chunks than the feed's slots, so the reader has to wait for the thread.
      for (let batch = 0; batch < 20; batch++) {
        const b = new BatchBuilder(SCHEMA);
        for (let k = 0; k < 1000; k++) {
          const i = batch * 1000 + k;
          b.appendObject({ id: i % 7 === 0 ? null : `O${i % 5000}`, qty: i % 13, amount: `${i % 300}.25`, at: Date.UTC(2026, 10, 26) + i * 1000, flag: i % 3 === 0 });
        }
        await w.write(b.finish());
      }
      await w.commit({});
    }
  });
  afterEach(async () => {
    await feed?.close();
    feed = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives the profiles and partitions read that profiling inline gives, skipping a dataset without a partition', async () => {
    const sets = ['processed/masked/orders', 'curated/dim_absent', 'processed/masked/returns'];
    const inline = await profileDatasets(lake, DS, sets, 1000);
    feed = new ProfileFeed(ENTRY);
    const threaded = await profileDatasets(lake, DS, sets, 1000, undefined, feed);
    expect(inline.profiles).toHaveLength(2);
    expect(inline.profiles[0]!.rows).toBe(20_000);
    expect(inline.profiles[0]!.columns.find((c) => c.name === 'id')!.distinct).toBeGreaterThan(4900);
    expect(threaded).toEqual(JSON.parse(JSON.stringify(inline)));
  });

  it("rejects with the thread's error when a chunk cannot be profiled", async () => {
    feed = new ProfileFeed(ENTRY);
    const profiling = feed.begin('processed/masked/orders', DS, SCHEMA);
    await profiling.chunk(Buffer.from('not an Arrow IPC stream'));
    await expect(profiling.finish()).rejects.toThrow(/profiling failed/);
  });
});
