/**
 * The `status` command: for a date range, which dt partitions of each zone exist, are missing, or
 * are older than their inputs, i.e. what a backfill must rerun.
 *
 *   node tasks/check-quality/dist/status-main.js --config FILE --from YYYY-MM-DD [--to YYYY-MM-DD] [--json]
 *
 * Exit 0 (the answer is printed either way), 2 on bad arguments or config.
 */
import { parseArgs } from 'node:util';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError, UsageError, exitCodeOf } from '@salesflow/errors';
import { assertDs } from '@salesflow/lake';
import { createLogger, redactText, registerSecret, type Logger } from '@salesflow/logging';
import { openLake } from '@salesflow/step';
import { lakeDatasetsOf } from './status/lake-datasets';
import { formatLakeStatus, readLakeStatus } from './status/lake-status';

/** Runs the command; returns the exit code (never calls process.exit, so tests can call it). */
export async function runStatus(argv: readonly string[], print: (text: string) => void, log: Logger = createLogger({ bindings: { step: 'status' } })): Promise<number> {
  try {
    let values: { config?: string; from?: string; to?: string; json?: boolean };
    try {
      ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } } }));
    } catch (e) {
      throw new UsageError((e as Error).message, { fix: 'usage: status --config FILE --from YYYY-MM-DD [--to YYYY-MM-DD] [--json]' });
    }
    if (!values.config || !values.from) throw new UsageError('--config and --from are required', { fix: 'usage: status --config FILE --from YYYY-MM-DD [--to YYYY-MM-DD] [--json]' });
    const from = assertDs(values.from, '--from');
    const to = assertDs(values.to ?? values.from, '--to');
    if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`, { fix: 'give the range oldest first' });
    const { config, secrets } = readConfig(values.config);
    secrets.forEach(registerSecret);
    const lake = openLake(config.lake, log);
    const days = await readLakeStatus(lake, lakeDatasetsOf(config), from, to);
    print(values.json ? JSON.stringify({ lake: lake.storage.rootUri, from, to, days }, null, 2) + '\n' : formatLakeStatus(days));
    return ExitCode.ok;
  } catch (err) {
    const message = redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err));
    log.error(`status failed: ${message}`);
    return exitCodeOf(err);
  }
}

if (require.main === module) {
  void runStatus(process.argv.slice(2), (t) => process.stdout.write(t)).then((code) => (process.exitCode = code));
}
