import { ExitCode, PipelineError } from '@salesflow/errors';

/**
 * An API's pagination went back on itself: a page came back with the records of an earlier page,
 * or a next cursor or link was one already followed. Rows may be missing as well as duplicated,
 * so nothing of the entity is committed. Exit 1: a server that served a stale page once is right
 * on the retry; one that does it on every run has a pagination setting that does not match it.
 */
export class ApiPaginationLoopError extends PipelineError {
  constructor(
    readonly url: string,
    message: string,
    opts: { source: string; entity: string; configKey: string },
  ) {
    super(`${url}: ${message}`, {
      exitCode: ExitCode.failed,
      context: { source: opts.source, entity: opts.entity, url },
      fix: `nothing of entity ${opts.entity} was committed; retry the run, and if it happens on every run check ${opts.configKey}.pagination against the API (parameter names, cursor path)`,
    });
  }
}
