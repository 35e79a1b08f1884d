import { ExitCode, PipelineError } from '@salesflow/errors';

/** A request the API refused or kept failing, with the URL stripped of secrets and the status. */
export class ApiRequestFailedError extends PipelineError {
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    opts: { retryable: boolean; fix: string; source: string; entity: string; cause?: unknown },
  ) {
    super(`GET ${url} ${status ? `returned ${status}` : 'failed'}: ${message}`, {
      exitCode: opts.retryable ? ExitCode.failed : ExitCode.usage,
      context: { source: opts.source, entity: opts.entity, url, ...(status ? { status } : {}) },
      fix: opts.fix,
      cause: opts.cause,
    });
  }
}
