import { randomBytes } from 'node:crypto';
import { envWithFiles, readConfig } from '@salesflow/config';
import { ExitCode } from '@salesflow/errors';
import { createLogger, registerSecret } from '@salesflow/logging';
import { openLake } from '@salesflow/step';
import { upgradeLake } from './upgrade-lake';
import { commandFailed, commandParser } from './command-parser';

/**
 * `node tasks/setup/dist/upgrade-main.js --config FILE [--dry-run]` (npm run lake:upgrade): rewrites
 * the partitions a lake holds in types older than the config declares (double for a decimal, text
 * for a date) so other engines read one schema (see upgrade-lake.ts and docs/query-the-lake.md).
 * Run it while no pipeline run writes the lake (pause the DAG). Prints a JSON summary as the last
 * stdout line; exit 0 done, 2 bad arguments or config, 4 a value with no declared form.
 */
async function main(): Promise<number> {
  const log = createLogger({ bindings: { step: 'lake-upgrade' } });
  try {
    const args = await commandParser('upgrade-main.js', '$0 --config FILE [--dry-run]\n\nRewrites old partitions (decimals stored as double, days as text) in the declared types.')
      .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config (lake, standardize, star_schema)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'List the partitions to rewrite; write nothing' })
      .parseAsync();
    if (process.argv.includes('--help')) return ExitCode.ok;
    const { config, secrets } = readConfig(args.config, envWithFiles(process.env), { onSecret: registerSecret });
    secrets.forEach(registerSecret);
    const runId = `lake-upgrade__${new Date().toISOString().replace(/[:.]/g, '-')}_${randomBytes(3).toString('hex')}`;
    const summary = await upgradeLake(openLake(config.lake, log), config, { runId, dryRun: args['dry-run'], log });
    process.stdout.write(JSON.stringify(summary) + '\n');
    return ExitCode.ok;
  } catch (err) {
    return commandFailed(log, 'lake upgrade', err);
  }
}

void main().then((code) => {
  process.exitCode = code;
});
