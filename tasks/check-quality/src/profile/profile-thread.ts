/** Entry of check-quality's profile thread (profileOnThread): profiles the job's datasets and posts the result once. */
import { parentPort, workerData } from 'node:worker_threads';
import { openLake } from '@salesflow/step';
import { profileDatasets, type ProfileJob } from './profile-datasets';

const job = workerData as ProfileJob;
profileDatasets(openLake(job.lake), job.ds, job.datasets, job.batchSize).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined, exitCode: (e as { exitCode?: number }).exitCode }),
);
