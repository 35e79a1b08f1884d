import { ExitCode, type ExitCodeValue } from './exit-codes';

/** What locates an error: any of step, run, ds, source, entity, table, file, row, column, key. */
export type ErrorContext = Readonly<Record<string, string | number | undefined>>;

/**
 * Base of every error the pipeline raises on purpose. It says which exit code it maps to,
 * whether a retry can help, what locates it, and how to fix it when the user can.
 */
export class PipelineError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly retryable: boolean;
  readonly context: ErrorContext;
  readonly fix?: string;

  constructor(message: string, opts: { exitCode?: ExitCodeValue; context?: ErrorContext; fix?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? ExitCode.failed;
    this.retryable = this.exitCode === ExitCode.failed;
    this.context = Object.freeze({ ...(opts.context ?? {}) });
    this.fix = opts.fix;
  }

  /** One line for a terminal: message, then where, then the fix. */
  describe(): string {
    const where = Object.entries(this.context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return [this.message, where && `(${where})`, this.fix && `Fix: ${this.fix}`].filter(Boolean).join(' ');
  }
}

/** Command line misuse: a missing or malformed argument such as --ds. */
export class UsageError extends PipelineError {
  constructor(message: string, opts: { context?: ErrorContext; fix?: string } = {}) {
    super(message, { ...opts, exitCode: ExitCode.usage });
  }
}

/** The configuration is invalid; `problems` lists every one as "dotted.path: message". */
export class ConfigInvalidError extends PipelineError {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`Configuration ${file} is invalid:\n  - ${problems.join('\n  - ')}`, {
      exitCode: ExitCode.usage,
      context: { file },
      fix: 'correct the listed keys in the YAML file or set the named environment variables',
    });
    this.problems = Object.freeze([...problems]);
  }
}

/** Input data that cannot be read or exceeds the rejection tolerance. */
export class BadInputError extends PipelineError {
  constructor(message: string, opts: { context?: ErrorContext; fix?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.badInput });
  }
}

/** An error-severity data quality check failed; nothing downstream may publish. */
export class DataQualityFailedError extends PipelineError {
  readonly failedChecks: readonly string[];
  constructor(failedChecks: readonly string[], opts: { context?: ErrorContext } = {}) {
    super(`${failedChecks.length} error-severity quality check(s) failed: ${failedChecks.join(', ')}`, {
      ...opts,
      exitCode: ExitCode.dataQuality,
      fix: 'open quality/dt=<ds>/report.json for the failing rows, correct the source data, then re-run the ds',
    });
    this.failedChecks = Object.freeze([...failedChecks]);
  }
}

/** The step has nothing to do for this ds (e.g. no new input); the DAG marks the task skipped. */
export class NothingToDoError extends PipelineError {
  constructor(message: string, opts: { context?: ErrorContext } = {}) {
    super(message, { ...opts, exitCode: ExitCode.nothingToDo });
  }
}

/** A lake object or partition that was expected is not there. */
export class LakeObjectNotFoundError extends PipelineError {
  constructor(uri: string, fix?: string) {
    super(`Not found in the lake: ${uri}`, { exitCode: ExitCode.badInput, context: { uri }, fix });
  }
}

/** Maps anything thrown to the exit code the step must return. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof PipelineError ? err.exitCode : ExitCode.failed;
}
