import yargs, { type Argv } from 'yargs';
import { exitCodeOf, PipelineError, UsageError, type ExitCodeValue } from '@salesflow/errors';
import { redactText, type Logger } from '@salesflow/logging';

/**
 * The argument parser of a lake command of this package (iam-policies, lake upgrade): strict,
 * with --help, no --version, and a usage error (exit 2) instead of process.exit on bad arguments.
 */
export function commandParser(script: string, usage: string): Argv {
  return yargs(process.argv.slice(2))
    .scriptName(`node tasks/setup/dist/${script}`)
    .usage(usage)
    .strict()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad arguments', { fix: 'run with --help for usage' });
    });
}

/** Logs a command's failure (described, redacted) and returns its exit code. */
export function commandFailed(log: Logger, command: string, err: unknown): ExitCodeValue {
  log.error(`${command} failed: ${redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err))}`);
  return exitCodeOf(err);
}
