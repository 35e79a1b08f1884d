import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readConfig } from '@salesflow/config';
import { planPipeline, yesterday } from './pipeline-plan';
import { REPO_ROOT, runSteps } from './run-steps';

/**
 * `npm run demo`: the whole pipeline on the embedded default (config/demo_config.yaml: a local lake
 * in .demo/lake and a SQLite warehouse in .demo/warehouse.sqlite). Generates the sample data for
 * ds (default yesterday; DEMO_DS overrides), runs every step as Airflow would, then prints the
 * answers of the analytical queries from the warehouse.
 */
async function demo(): Promise<number> {
  const ds = process.env.DEMO_DS ?? yesterday();
  const config = path.join('config', 'demo_config.yaml');
  // Files land in a folder per day, as config/demo_config.yaml's source path (dt={ds}) expects.
  const landing = path.join(process.env.LANDING_PATH ?? path.join('.demo', 'landing'), `dt=${ds}`);
  const say = (s: string) => process.stderr.write(`[demo] ${s}\n`);

  say(`generating the sample data for ds ${ds} into ${landing}`);
  const gen = spawnSync(process.execPath, [path.join(REPO_ROOT, 'tasks/sample-data/dist/main.js'), '--out', landing, '--ds', ds, '--seed', '42'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (gen.status !== 0) return gen.status ?? 1;

  const { config: cfg } = readConfig(path.join(REPO_ROOT, config));
  const runId = `demo__${ds}`;
  const { exitCode } = await runSteps(planPipeline(cfg), ['--config', config, '--ds', ds, '--run-id', runId], {
    onStep: (r) => say(`${r.task}${r.args.length ? ' ' + r.args.join(' ') : ''}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s` + (r.summary?.rows_out !== undefined ? `, ${String(r.summary.rows_out)} rows out` : '')),
  });
  if (exitCode !== 0) {
    say(`stopped: a step failed with exit ${exitCode}`);
    return exitCode;
  }
  say(`lake: ${cfg.lake.root}, warehouse: ${cfg.warehouse.sqlite?.filename}`);
  const q = spawnSync(process.execPath, [path.join(REPO_ROOT, 'tasks/load-warehouse/dist/query-main.js'), '--config', config], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return q.status ?? 1;
}

demo().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
