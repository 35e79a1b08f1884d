/** The command line is wrong (missing or malformed argument); retrying will not help. Exit code 2. */
export class SampleDataUsageError extends Error {
  /** Exit code of bad usage, as in @salesflow/errors ExitCode.usage. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'SampleDataUsageError';
  }
}
