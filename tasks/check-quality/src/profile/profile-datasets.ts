import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LakeConfig } from '@salesflow/config';
import { ExitCode, PipelineError, type ExitCodeValue } from '@salesflow/errors';
import type { Lake } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetProfile } from './table-profiler';
import { TableProfiler } from './table-profiler';

/** What profiling a list of partitions of ds gave: their profiles, and each partition read (uri, rows). */
export interface ProfiledDatasets {
  readonly profiles: DatasetProfile[];
  readonly read: [uri: string, rows: number][];
}

/** The work handed to the profile thread: plain data, so it crosses threads as a structured clone. */
export interface ProfileJob {
  readonly lake: LakeConfig;
  readonly ds: string;
  readonly batchSize: number;
  readonly datasets: readonly string[];
}

/**
 * Profiles the ds partition of each dataset, one pass each, in order; a dataset without a
 * partition for ds is skipped (nothing was built to profile).
 */
export async function profileDatasets(lake: Lake, ds: string, datasets: readonly string[], batchSize: number, log?: Logger): Promise<ProfiledDatasets> {
  const profiles: DatasetProfile[] = [];
  const read: [string, number][] = [];
  for (const dataset of datasets) {
    const manifest = await lake.readManifest(dataset, ds);
    if (!manifest) {
      log?.debug(`no partition of ${dataset} for ds ${ds}: not profiled`);
      continue;
    }
    const profiler = new TableProfiler(dataset, ds, manifest.schema);
    read.push([lake.partitionUri(dataset, ds), manifest.rows]);
    const progress = log && startProgress(log.child({ dataset }), `profile ${dataset}`);
    for await (const b of lake.readManifestBatches(manifest, { columns: profiler.columnNames, batchSize })) {
      profiler.consume(b);
      progress?.add(b.numRows);
    }
    progress?.done();
    profiles.push(profiler.finish());
  }
  return { profiles, read };
}

/** The compiled thread entry; absent when the sources run untranspiled (jest), which profiles inline. */
const THREAD_ENTRY = path.join(__dirname, 'profile-thread.js');

/** Whether profileOnThread runs a thread here: the built entry exists and QUALITY_PROFILE_THREAD is not "inline". */
export function profileThreadAvailable(): boolean {
  return process.env.QUALITY_PROFILE_THREAD !== 'inline' && existsSync(THREAD_ENTRY);
}

/**
 * Profiles on a thread of its own while the caller runs the checks: check-quality's main thread
 * is its bottleneck, and the second core was two thirds idle (its Parquet worker decodes only).
 * The thread decodes inline (no Parquet worker of its own) and opens its own lake from the same
 * settings and environment. Its failure rejects, with the thread's error.
 */
export function profileOnThread(job: ProfileJob, entry = THREAD_ENTRY): Promise<ProfiledDatasets> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: job, env: { ...process.env, LAKE_PARQUET_THREAD: 'inline' } });
    let settled = false;
    worker.once('message', (m: { ok: true; result: ProfiledDatasets } | { ok: false; message: string; stack?: string; exitCode?: ExitCodeValue }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      // The step's exit code follows the thread's error (a transient S3 failure stays retryable).
      else reject(new PipelineError(`profiling failed: ${m.message}`, { exitCode: m.exitCode ?? ExitCode.failed }));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the profile thread exited with code ${code} before it answered`));
    });
  });
}
