import { spawnSync } from 'node:child_process';
import path from 'node:path';
import yargs from 'yargs';
import { readConfig } from '@salesflow/config';
import { ExitCode } from '@salesflow/errors';
import { planDemoDays } from './demo-days';
import { planPipeline } from './pipeline-plan';
import { REPO_ROOT, runSteps } from './run-steps';

/**
 * `npm run demo [-- --days N]`: the whole pipeline on the embedded default (config/demo_config.yaml:
 * a local lake in .demo/lake and a SQLite warehouse in .demo/warehouse.sqlite), one nightly run per
 * day, oldest first. For each day it lands the sample data's daily delivery (the day's sales, late
 * ones and corrections of earlier days; docs/sample-data.md), runs every step as Airflow would, and
 * at the end prints the answers of the analytical queries from the warehouse.
 *
 * Days: DEMO_DS (default yesterday, UTC) alone; DEMO_FROM to DEMO_TO; or `--days N` ending at
 * DEMO_DS. DEMO_SCALE sets the sample scale (default 1: 10,000 sales a weekday).
 */
async function demo(argv: readonly string[]): Promise<number> {
  const say = (s: string) => process.stderr.write(`[demo] ${s}\n`);
  let days: number | undefined;
  try {
    days = yargs(argv)
      .scriptName('npm run demo --')
      .option('days', { type: 'number', describe: 'Run the N days ending at DEMO_DS (default yesterday), oldest first' })
      .strict()
      .version(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseSync().days;
  } catch (err) {
    say(`${err instanceof Error ? err.message : String(err)} (npm run demo -- --help)`);
    return ExitCode.usage;
  }
  const plan = planDemoDays({ DEMO_FROM: process.env.DEMO_FROM, DEMO_TO: process.env.DEMO_TO, DEMO_DS: process.env.DEMO_DS, days });
  if ('error' in plan) {
    say(plan.error);
    return ExitCode.usage;
  }
  const scale = process.env.DEMO_SCALE ?? '1';
  const config = path.join('config', 'demo_config.yaml');
  const { config: cfg } = readConfig(path.join(REPO_ROOT, config));
  const started = Date.now();

  for (const [i, ds] of plan.days.entries()) {
    const dayStarted = Date.now();
    // Files land in a folder per day, as config/demo_config.yaml's source path (dt={ds}) expects.
    const landing = path.join(process.env.LANDING_PATH ?? path.join('.demo', 'landing'), `dt=${ds}`);
    say(`${ds} (day ${i + 1} of ${plan.days.length}): landing the daily sample delivery in ${landing}`);
    const gen = spawnSync(process.execPath, [path.join(REPO_ROOT, 'tasks/sample-data/dist/main.js'), '--out', landing, '--ds', ds, '--seed', '42', '--scale', scale, '--daily'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (gen.status !== 0) return gen.status ?? ExitCode.failed;

    const { exitCode } = await runSteps(planPipeline(cfg), ['--config', config, '--ds', ds, '--run-id', `demo__${ds}`], {
      onStep: (r) => say(`${ds} ${r.task}${r.args.length ? ' ' + r.args.join(' ') : ''}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s` + (r.summary?.rows_out !== undefined ? `, ${String(r.summary.rows_out)} rows out` : '')),
    });
    if (exitCode !== 0) {
      say(`stopped at ${ds}: a step failed with exit ${exitCode}`);
      return exitCode;
    }
    say(`${ds} done in ${((Date.now() - dayStarted) / 1000).toFixed(1)} s`);
  }
  if (plan.days.length > 1) say(`${plan.days.length} days (${plan.days[0]} to ${plan.days.at(-1)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`lake: ${cfg.lake.root}, warehouse: ${cfg.warehouse.sqlite?.filename}`);
  const q = spawnSync(process.execPath, [path.join(REPO_ROOT, 'tasks/load-warehouse/dist/query-main.js'), '--config', config], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return q.status ?? ExitCode.failed;
}

demo(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ExitCode.failed;
  },
);
