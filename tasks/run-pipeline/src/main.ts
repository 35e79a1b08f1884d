import yargs from 'yargs';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { planPipeline, yesterday } from './pipeline-plan';
import { runSteps } from './run-steps';

/**
 * The local runner: every step in DAG order, as child processes with the same entrypoints and
 * arguments Airflow uses, stopping at the first failure with its exit code.
 */
async function main(): Promise<number> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('node tasks/run-pipeline/dist/main.js')
    .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
    .option('ds', { type: 'string', default: yesterday(), describe: 'Logical date YYYY-MM-DD (default: yesterday, UTC)' })
    .option('run-id', { type: 'string', describe: 'Run id passed to every step' })
    .option('only', { type: 'array', string: true, describe: 'Run only these tasks (e.g. --only standardize mask)' })
    .strict()
    .version(false)
    .parseAsync();
  const { config } = readConfig(args.config);
  const runId = args['run-id'] ?? `local__${args.ds}T${new Date().toISOString().slice(11, 19)}`;
  const common = ['--config', args.config, '--ds', args.ds, '--run-id', runId];
  const plan = planPipeline(config).filter((s) => !args.only || args.only.includes(s.task));
  const { exitCode, runs } = await runSteps(plan, common, {
    onStep: (r) => process.stderr.write(`[run-pipeline] ${r.task}${r.args.length ? ' ' + r.args.join(' ') : ''}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`),
  });
  process.stdout.write(JSON.stringify({ ds: args.ds, run_id: runId, exit_code: exitCode, steps: runs.map((r) => ({ task: r.task, args: r.args, exit_code: r.exitCode, seconds: r.seconds, rows_out: r.summary?.rows_out })) }) + '\n');
  return exitCode;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`run-pipeline: ${err instanceof PipelineError ? err.describe() : String(err)}\n`);
    process.exitCode = err instanceof PipelineError ? err.exitCode : ExitCode.failed;
  },
);
