/**
 * kill -9 at seeded random points of every step, then a rerun. Checked after each kill: every
 * partition a reader can see is whole (its manifest's files exist and hold the rows it says) and
 * equals the clean run's; the SQLite warehouse is either as before the load or as after a clean one.
 * Checked after the rerun: it exits 0, and the lake and warehouse equal a clean run's.
 *
 * Half of the trials start from the lake as it was before the step (a first run), half from the
 * finished lake (a rerun replacing committed partitions). npm test runs FAULTS_TRIALS_PER_STEP=1
 * by default; `npm run faults` runs 20 per step. The lake is a local folder here: the S3 faults are
 * in s3-faults.test.ts.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage } from '@salesflow/lake';
import { envAt, runCleanStages, type CleanStages } from './kit/clean-stages';
import { faultSeed, recordFigures, trialsPerStep } from './kit/fault-summary';
import { compareDigests, digestLake, type PartitionDigest } from './kit/lake-digest';
import { seededRandom } from './kit/seeded-random';
import { generateLanding, runStep, startStep, STEPS } from './kit/run-step';
import { digestSqliteWarehouse } from './kit/warehouse-digest';

const CONFIG = 'config/demo_config.yaml';
const TRIALS = trialsPerStep(1);
const work = mkdtempSync(path.join(os.tmpdir(), 'crash-trials-'));
const landing = path.join(work, 'landing');

let stages: CleanStages;
let final: PartitionDigest[];
let finalWarehouse: Awaited<ReturnType<typeof digestSqliteWarehouse>>;
const stage = (i: number) => stages.stage(i);

beforeAll(async () => {
  generateLanding(landing);
  stages = runCleanStages(work, landing, CONFIG);
  final = await digestLake(openStorage(path.join(stage(STEPS.length), 'lake')));
  finalWarehouse = await digestSqliteWarehouse(path.join(stage(STEPS.length), 'wh.sqlite'));
}, 600_000);

function withoutEmpty(d: Awaited<ReturnType<typeof digestSqliteWarehouse>>) {
  return Object.fromEntries(Object.entries(d).filter(([, t]) => t.rows > 0));
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

const totals = { trials: 0, killed: 0, partial: 0, reruns_ok: 0, rows_lost: 0 };
afterAll(() =>
  recordFigures({
    suite: 'kill -9 per step',
    trials: totals.trials,
    faults_injected: totals.killed,
    runs_completed: totals.reruns_ok,
    partial_partitions_seen: totals.partial,
    rows_lost: totals.rows_lost,
    detail: { trials_per_step: TRIALS, steps: STEPS.length },
  }),
);

describe.each(STEPS.map((s, i) => [s.task, i] as const))('kill -9 during %s', (task, i) => {
  it(`leaves no partial partition and a rerun equals the clean run (${TRIALS} seeded trials)`, async () => {
    const step = STEPS[i]!;
    // The partitions that exist once this step has run, from the clean run.
    const expectedAfter = await digestLake(openStorage(path.join(stage(i + 1), 'lake')));
    const random = seededRandom(faultSeed() + i);
    for (let t = 0; t < TRIALS; t++) {
      const from = t % 2 === 0 ? stage(i) : stage(STEPS.length);
      const dir = path.join(work, `trial-${task}-${t}`);
      cpSync(from, dir, { recursive: true });
      const before = existsSync(path.join(dir, 'wh.sqlite')) ? await digestSqliteWarehouse(path.join(dir, 'wh.sqlite')) : undefined;
      // A random point from process start to a bit past the clean run's duration.
      const killAfterMs = Math.round(random() * stages.seconds[i]! * 1100);
      const killed = await startStep(step.task, step.args, { config: CONFIG, env: envAt(dir, landing), killAfterMs });
      totals.trials++;
      if (killed.killed) totals.killed++;
      else expect({ trial: t, killAfterMs, status: killed.status }).toEqual({ trial: t, killAfterMs, status: 0 });

      // What a reader sees right after the crash: whole partitions equal to the clean run's, or none.
      const seen = existsSync(path.join(dir, 'lake')) ? await digestLake(openStorage(path.join(dir, 'lake'))) : [];
      const problems = seen.flatMap((d) => d.problems);
      totals.partial += seen.filter((d) => d.problems.length > 0).length;
      expect({ trial: t, killAfterMs, problems }).toEqual({ trial: t, killAfterMs, problems: [] });
      const byKey = new Map(final.map((d) => [`${d.dataset}|${d.ds}`, d]));
      const mixed = seen.filter((d) => byKey.get(`${d.dataset}|${d.ds}`)?.content !== d.content).map((d) => d.dataset);
      expect({ trial: t, killAfterMs, mixed }).toEqual({ trial: t, killAfterMs, mixed: [] });
      if (step.task === 'load-warehouse' && existsSync(path.join(dir, 'wh.sqlite'))) {
        // The load is one transaction: all of it or none of it (tables the DDL made may stay empty).
        const wh = withoutEmpty(await digestSqliteWarehouse(path.join(dir, 'wh.sqlite')));
        expect([JSON.stringify(withoutEmpty(before ?? {})), JSON.stringify(finalWarehouse)]).toContain(JSON.stringify(wh));
      }

      const rerun = runStep(step.task, step.args, { config: CONFIG, env: envAt(dir, landing) });
      if (rerun.status !== 0) throw new Error(`trial ${t} (killed after ${killAfterMs} ms): rerun of ${task} exited ${rerun.status}\n${rerun.stderr.slice(-2000)}`);
      const after = await digestLake(openStorage(path.join(dir, 'lake')));
      const lost = expectedAfter.reduce((n, d) => n + d.rows, 0) - after.filter((d) => expectedAfter.some((e) => e.dataset === d.dataset)).reduce((n, d) => n + d.rows, 0);
      totals.rows_lost += Math.max(0, lost);
      // Started from the finished lake, later partitions are there too; only those this stage has are compared.
      expect(compareDigests(expectedAfter, after, (ds) => t % 2 === 1 && !expectedAfter.some((e) => e.dataset === ds))).toEqual([]);
      if (step.task === 'load-warehouse') expect(await digestSqliteWarehouse(path.join(dir, 'wh.sqlite'))).toEqual(finalWarehouse);
      totals.reruns_ok++;
      rmSync(dir, { recursive: true, force: true });
    }
  }, TRIALS * 90_000);
});
