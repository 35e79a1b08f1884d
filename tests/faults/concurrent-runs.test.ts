/**
 * Two runs of the same step and ds at once, as when an Airflow retry starts next to a zombie
 * attempt that is still running. Each pair starts from the lake as it was before the step, the
 * second run a seeded random moment after the first. Both must end cleanly (0, or 1 with a
 * clear error), and the lake must then hold one consistent result: every partition whole, written
 * by one of the two runs, and equal to a clean run's; the warehouse equal to a clean load.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage, parseManifest } from '@salesflow/lake';
import { envAt, runCleanStages, type CleanStages } from './kit/clean-stages';
import { faultSeed, recordFigures, trialsPerStep } from './kit/fault-summary';
import { compareDigests, digestLake } from './kit/lake-digest';
import { seededRandom } from './kit/seeded-random';
import { generateLanding, startStep, STEPS, summaryOf } from './kit/run-step';
import { digestSqliteWarehouse } from './kit/warehouse-digest';

const CONFIG = 'config/demo_config.yaml';
const TRIALS = trialsPerStep(1);
const work = mkdtempSync(path.join(os.tmpdir(), 'concurrent-runs-'));
const landing = path.join(work, 'landing');
let stages: CleanStages;

beforeAll(() => {
  generateLanding(landing);
  stages = runCleanStages(work, landing, CONFIG);
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const totals = { trials: 0, both_ok: 0, one_failed_cleanly: 0, rows_lost: 0 };
afterAll(() =>
  recordFigures({
    suite: 'two runs of one ds at once',
    trials: totals.trials,
    runs_completed: totals.both_ok * 2 + totals.one_failed_cleanly,
    runs_failed_cleanly: totals.one_failed_cleanly,
    rows_lost: totals.rows_lost,
  }),
);

const OVERLAPPING = STEPS.filter((s) => s.task !== 'setup');

describe.each(OVERLAPPING.map((s) => [s.task, STEPS.indexOf(s)] as const))('two %s runs at once', (task, i) => {
  it('leave one consistent result equal to a clean run', async () => {
    const step = STEPS[i]!;
    const expected = await digestLake(openStorage(path.join(stages.stage(i + 1), 'lake')));
    const random = seededRandom(faultSeed() + 100 + i);
    for (let t = 0; t < TRIALS; t++) {
      const dir = path.join(work, `pair-${task}-${t}`);
      cpSync(stages.stage(i), dir, { recursive: true });
      const env = envAt(dir, landing);
      const lagMs = Math.round(random() * stages.seconds[i]! * 500);
      const zombie = startStep(step.task, step.args, { config: CONFIG, env, runId: `zombie-${t}` });
      await new Promise((r) => setTimeout(r, lagMs));
      const retry = startStep(step.task, step.args, { config: CONFIG, env, runId: `retry-${t}` });
      const runs = await Promise.all([zombie, retry]);
      totals.trials++;
      const codes = runs.map((r) => r.status);
      // Clean endings only: success, or a transient failure (exit 1) that says what happened.
      for (const r of runs) {
        if (r.status !== 0) {
          expect({ lagMs, status: r.status }).toEqual({ lagMs, status: 1 });
          expect(summaryOf(r).error).toMatch(/\S{10,}/);
        }
      }
      expect(codes).toContain(0);
      if (codes.every((c) => c === 0)) totals.both_ok++;
      else totals.one_failed_cleanly++;

      const lake = openStorage(path.join(dir, 'lake'));
      const after = await digestLake(lake);
      expect(after.flatMap((d) => d.problems)).toEqual([]);
      expect(compareDigests(expected, after)).toEqual([]);
      totals.rows_lost += Math.max(0, expected.reduce((n, d) => n + d.rows, 0) - after.reduce((n, d) => n + d.rows, 0));
      // Every partition is one run's output, never a mix of files from both.
      for (const o of (await lake.list('')).filter((x) => x.key.endsWith('/_manifest.json'))) {
        const m = parseManifest(Buffer.from((await lake.getBytes(o.key))!).toString('utf8'), o.key);
        const tokens = new Set(m.files.map((f) => /part-([0-9a-f]{8})-/.exec(f.key)?.[1]));
        expect({ partition: o.key, attempts: tokens.size <= 1 }).toEqual({ partition: o.key, attempts: true });
      }
      if (step.task === 'load-warehouse') {
        expect(await digestSqliteWarehouse(path.join(dir, 'wh.sqlite'))).toEqual(await digestSqliteWarehouse(path.join(stages.stage(STEPS.length), 'wh.sqlite')));
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, TRIALS * 120_000);
});
