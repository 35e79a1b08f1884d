/**
 * A flaky S3: the whole pipeline runs with its lake behind our fault-injecting proxy (tests/faults/kit/
 * s3-fault-proxy.ts) in front of the S3 test server (LAKE_TEST_S3_ENDPOINT). With 10% of requests
 * failing (500, 503, SlowDown, connections dropped mid-upload) every step completes and the lake and
 * warehouse equal a clean run's; with every request failing, a step exits 1 with a clear error after
 * a bounded number of tries and commits nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { openStorage } from '@salesflow/lake';
import { recordFigures, faultSeed } from './kit/fault-summary';
import { compareDigests, digestLake } from './kit/lake-digest';
import { baseEnv, generateLanding, runPipeline, startStep, summaryOf, type StepRun } from './kit/run-step';
import { startS3FaultProxy } from './kit/s3-fault-proxy';
import { digestSqliteWarehouse } from './kit/warehouse-digest';

const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
const bucket = `faults-${randomBytes(4).toString('hex')}`;
const work = mkdtempSync(path.join(os.tmpdir(), 's3-faults-'));
const landing = path.join(work, 'landing');
const CONFIG = 'config/demo_config.yaml';

function envFor(prefix: string, s3Endpoint: string) {
  return baseEnv({
    LAKE_ROOT: `s3://${bucket}/${prefix}`,
    LANDING_PATH: landing,
    WAREHOUSE_SQLITE: path.join(work, `${prefix}.sqlite`),
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    LOG_LEVEL: 'warn',
  });
}

/** The lake as the real server holds it, read around the proxy. */
const digest = (prefix: string) => digestLake(openStorage(`s3://${bucket}/${prefix}`, { endpoint, forcePathStyle: true }));

beforeAll(() => generateLanding(landing));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('completes with identical results when 10% of S3 requests fail', async () => {
  const clean = await runPipeline({ config: CONFIG, env: envFor('clean', endpoint) });
  expect(clean.map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0, 0]);

  const proxy = await startS3FaultProxy({ target: endpoint, failureRate: 0.1, seed: faultSeed() });
  let runs: StepRun[];
  try {
    runs = await runPipeline({ config: CONFIG, env: envFor('flaky', proxy.endpoint) });
  } finally {
    await proxy.close();
  }
  const failed = runs.find((r) => r.status !== 0);
  if (failed) throw new Error(`a step failed behind the 10% fault proxy (exit ${failed.status}):\n${failed.stderr.slice(-3000)}`);
  expect(runs).toHaveLength(7);

  // Every kind of fault really happened, on a real share of the traffic.
  const injected = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0);
  expect(proxy.stats.requests).toBeGreaterThan(200);
  expect(injected / proxy.stats.requests).toBeGreaterThan(0.05);
  for (const n of Object.values(proxy.stats.faults)) expect(n).toBeGreaterThan(0);

  const expected = await digest('clean');
  const actual = await digest('flaky');
  expect(actual.flatMap((d) => d.problems)).toEqual([]);
  expect(compareDigests(expected, actual)).toEqual([]);
  expect(expected.length).toBeGreaterThan(20);
  const wantWh = await digestSqliteWarehouse(path.join(work, 'clean.sqlite'));
  expect(await digestSqliteWarehouse(path.join(work, 'flaky.sqlite'))).toEqual(wantWh);
  expect(wantWh.fact_sales?.rows).toBe(9998);

  const rowsLost = expected.reduce((n, d) => n + d.rows, 0) - actual.reduce((n, d) => n + d.rows, 0);
  recordFigures({ suite: 's3 faults at 10%', trials: 1, faults_injected: injected, runs_completed: 1, rows_lost: rowsLost, detail: { requests: proxy.stats.requests, ...proxy.stats.faults } });
});

it('fails with exit 1 and a clear error after bounded retries when every S3 request fails', async () => {
  const proxy = await startS3FaultProxy({ target: endpoint, failureRate: 1, seed: faultSeed() });
  const results = [];
  try {
    for (const [task, args] of [
      ['setup', []],
      ['ingest', ['--source', 'landing']],
    ] as const) {
      const r = await startStep(task, args, { config: CONFIG, env: envFor('down', proxy.endpoint) });
      results.push({ task, ...r });
    }
  } finally {
    await proxy.close();
  }
  for (const r of results) {
    expect({ task: r.task, status: r.status }).toEqual({ task: r.task, status: 1 });
    const summary = summaryOf(r);
    expect(summary.status).toBe('failed');
    // Names the operation, the object, the tries and what S3 answered, and says what to do.
    expect(summary.error).toMatch(new RegExp(`S3 \\w+ failed for s3://${bucket}\\S* after 6 tries: (\\w+ \\(HTTP 5\\d\\d\\)|TimeoutError: socket hang up)`));
    expect(summary.error).toMatch(/Fix: .*retry the step/);
    // Bounded: 6 tries with backoff per request, not an endless loop.
    expect(r.seconds).toBeLessThan(90);
  }
  // Each request was tried a bounded number of times, more than once.
  expect(proxy.stats.requests).toBeGreaterThanOrEqual(2 * results.length);
  expect(proxy.stats.requests).toBeLessThan(500);
  expect((await digest('down')).length).toBe(0);
  recordFigures({
    suite: 's3 faults at 100%',
    trials: results.length,
    faults_injected: Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0),
    runs_failed_cleanly: results.filter((r) => r.status === 1).length,
    detail: { requests: proxy.stats.requests, seconds: results.map((r) => r.seconds) },
  });
});

it('completes with identical results when 20% of object downloads lose their connection mid-body', async () => {
  // The clean run of the first test, or one of our own when this test runs alone.
  // (The bucket itself exists only once a setup step has run.)
  if ((await digest('clean').catch(() => [])).length === 0) {
    const clean = await runPipeline({ config: CONFIG, env: envFor('clean', endpoint) });
    expect(clean.map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  }
  const proxy = await startS3FaultProxy({ target: endpoint, failureRate: 0.2, seed: faultSeed(), kinds: ['DropMidDownload'] });
  let runs: StepRun[];
  try {
    runs = await runPipeline({ config: CONFIG, env: envFor('cut', proxy.endpoint) });
  } finally {
    await proxy.close();
  }
  const failed = runs.find((r) => r.status !== 0);
  if (failed) throw new Error(`a step failed with 20% of downloads cut (exit ${failed.status}):\n${failed.stderr.slice(-3000)}`);
  expect(runs).toHaveLength(7);
  expect(proxy.stats.faults.DropMidDownload).toBeGreaterThan(10);

  const expected = await digest('clean');
  const actual = await digest('cut');
  expect(actual.flatMap((d) => d.problems)).toEqual([]);
  expect(compareDigests(expected, actual)).toEqual([]);
  expect(await digestSqliteWarehouse(path.join(work, 'cut.sqlite'))).toEqual(await digestSqliteWarehouse(path.join(work, 'clean.sqlite')));

  const rowsLost = expected.reduce((n, d) => n + d.rows, 0) - actual.reduce((n, d) => n + d.rows, 0);
  recordFigures({ suite: 's3 downloads cut mid-body at 20%', trials: 1, faults_injected: proxy.stats.faults.DropMidDownload, runs_completed: 1, rows_lost: rowsLost, detail: { requests: proxy.stats.requests } });
});

it('fails with exit 1 and a clear error after bounded tries when every object download is cut mid-body', async () => {
  // A committed lake to read from, written around the proxy.
  const prefix = 'cut-always';
  const ready = await runPipeline({ config: CONFIG, env: envFor(prefix, endpoint), to: 'ingest' });
  expect(ready.map((r) => r.status)).toEqual([0, 0]);
  const proxy = await startS3FaultProxy({ target: endpoint, failureRate: 1, seed: faultSeed(), kinds: ['DropMidDownload'] });
  let run: StepRun;
  try {
    run = await startStep('standardize', [], { config: CONFIG, env: envFor(prefix, proxy.endpoint) });
  } finally {
    await proxy.close();
  }
  expect(run.status).toBe(1);
  const summary = summaryOf(run);
  expect(summary.status).toBe('failed');
  expect(summary.error).toMatch(new RegExp(`S3 GetObject failed for s3://${bucket}/${prefix}/\\S+ after 6 tries: the connection dropped mid-body, last after \\d+ of \\d+ bytes`));
  expect(summary.error).toMatch(/Fix: .*retry the step/);
  expect(run.seconds).toBeLessThan(90);
  // The first download was cut six times and nothing was read after it.
  expect(proxy.stats.faults.DropMidDownload).toBe(6);
  expect((await digest(prefix)).filter((d) => d.dataset.startsWith('processed/'))).toEqual([]);
  recordFigures({
    suite: 's3 downloads cut mid-body at 100%',
    trials: 1,
    faults_injected: proxy.stats.faults.DropMidDownload,
    runs_failed_cleanly: run.status === 1 ? 1 : 0,
    detail: { requests: proxy.stats.requests, seconds: run.seconds },
  });
});
