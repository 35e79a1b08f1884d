import type { Lake } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { ProfileFeed } from './profile-feed';
import { mergeProfiles, TableProfiler, type DatasetProfile } from './table-profiler';

/** What profiling a list of partitions of ds gave: their profiles, and each partition read (uri, rows). */
export interface ProfiledDatasets {
  readonly profiles: DatasetProfile[];
  readonly read: [uri: string, rows: number][];
}

/**
 * Profiles the ds partition of each dataset, one pass each, in order; a dataset without a
 * partition for ds is skipped (nothing was built to profile). With a feed, half the columns are
 * profiled on its thread and half here, at the same time: nothing else runs on this thread in
 * this pass. Without, all here.
 */
export async function profileDatasets(lake: Lake, ds: string, datasets: readonly string[], batchSize: number, log?: Logger, feed?: ProfileFeed): Promise<ProfiledDatasets> {
  const profiles: DatasetProfile[] = [];
  const read: [string, number][] = [];
  for (const dataset of datasets) {
    const manifest = await lake.readManifest(dataset, ds);
    if (!manifest) {
      log?.debug(`no partition of ${dataset} for ds ${ds}: not profiled`);
      continue;
    }
    read.push([lake.partitionUri(dataset, ds), manifest.rows]);
    const progress = log && startProgress(log.child({ dataset }), `profile ${dataset}`);
    const columns = manifest.schema.map((c) => c.name);
    const here = new TableProfiler(dataset, ds, feed ? manifest.schema.filter((_, i) => i % 2 === 0) : manifest.schema);
    const there = feed?.begin(dataset, ds, manifest.schema.filter((_, i) => i % 2 === 1));
    for await (const b of lake.readManifestBatches(manifest, { columns, batchSize, onChunk: there?.chunk })) {
      here.consume(b);
      progress?.add(b.numRows);
    }
    profiles.push(there ? mergeProfiles(manifest.schema, [here.finish(), await there.finish()]) : here.finish());
    progress?.done();
  }
  return { profiles, read };
}
