import yargs, { type Argv } from 'yargs';
import { exitCodeOf, PipelineError, UsageError, type ExitCodeValue } from '@salesflow/errors';
import { redactText, type Logger } from '@salesflow/logging';

/**
 * The argument parser of a command of this package (detokenize, forget): strict, with --help,
 * no --version, and a usage error (exit 2) instead of process.exit on bad arguments.
 */
export function commandParser(argv: readonly string[], script: string, usage: string): Argv {
  return yargs([...argv])
    .scriptName(`node tasks/mask/dist/${script}`)
    .usage(usage)
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad arguments', { fix: 'run with --help for usage' });
    });
}

/** Logs a command's failure (described, redacted) and returns its exit code. */
export function commandFailed(log: Logger, command: string, err: unknown): ExitCodeValue {
  const message = redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err));
  log.error(`${command} failed: ${message}`);
  return exitCodeOf(err);
}
