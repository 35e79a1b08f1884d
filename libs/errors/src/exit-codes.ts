/** Exit codes of every step, as the DAG reads them (see DESIGN.md, "The step contract"). */
export const ExitCode = Object.freeze({
  /** The step did its work. */
  ok: 0,
  /** Anything unexpected; transient, so Airflow retries. */
  failed: 1,
  /** Bad usage or configuration; retrying will not help. */
  usage: 2,
  /** A data quality check of error severity failed. */
  dataQuality: 3,
  /** Bad input beyond the configured tolerance. */
  badInput: 4,
  /** Nothing to do for this ds; the DAG maps it to skipped. */
  nothingToDo: 99,
} as const);

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
