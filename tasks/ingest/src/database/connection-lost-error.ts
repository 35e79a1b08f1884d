import { ExitCode, PipelineError, type ErrorContext } from '@salesflow/errors';

/**
 * The source database dropped the session mid-read (backend terminated, KILL CONNECTION, restart,
 * network cut). Transient: exit 1, so Airflow retries; nothing of the entity was committed.
 */
export class ConnectionLostError extends PipelineError {
  constructor(message: string, opts: { context?: ErrorContext; fix?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.failed });
  }
}
