import yargs from 'yargs';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError, UsageError, exitCodeOf, type ExitCodeValue } from '@salesflow/errors';
import { createLogger, redactText, registerSecret, type Logger } from '@salesflow/logging';
import { openLake } from '@salesflow/step';
import { runKafkaFollow, type MicroBatchCommitted } from './kafka-follow';

export interface FollowOptions {
  readonly argv: readonly string[];
  /** Aborted on SIGTERM or SIGINT: the follower commits what it took, leaves the group and returns. */
  readonly signal: AbortSignal;
  readonly print?: (line: string) => void;
  readonly log?: Logger;
  readonly onCommit?: (c: MicroBatchCommitted) => void;
}

/**
 * `ingest --follow --config FILE --source NAME`: follows a Kafka source until signalled, then
 * prints one JSON summary line and returns the exit code (0 after a clean stop). Never calls
 * process.exit. No --ds: each record's ds is the day of its timestamp.
 */
export async function executeFollow(opts: FollowOptions): Promise<ExitCodeValue> {
  const started = Date.now();
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  let log = opts.log ?? createLogger({ bindings: { step: 'ingest', mode: 'follow' } });
  const base = { step: 'ingest', mode: 'follow' as const, source: '', run_id: '' };
  try {
    const a = await yargs([...opts.argv])
      .scriptName('node tasks/ingest/dist/main.js')
      .usage('$0 --follow --config FILE --source NAME\n\nFollows the topics of a Kafka source as a member of its consumer group, committing a micro-batch into the lake every follow.max_interval_ms or follow.max_records, until SIGTERM or SIGINT.')
      .option('follow', { type: 'boolean', demandOption: true, describe: 'Follow the source (streaming) instead of landing one ds' })
      .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
      .option('source', { type: 'string', demandOption: true, describe: 'A kafka source from the config' })
      .option('run-id', { type: 'string', describe: 'Run id recorded as the producer of the manifests; default follow__<time>' })
      .option('ds', { type: 'string', hidden: true })
      .strict()
      .version(false)
      .exitProcess(false)
      .fail((msg, err) => {
        throw new UsageError(msg ?? err?.message ?? 'bad arguments', { fix: 'run with --follow --help for usage' });
      })
      .parseAsync();
    if (opts.argv.includes('--help')) return ExitCode.ok;
    if (a.ds !== undefined) throw new UsageError('--follow takes no --ds: each record lands in the ds of its timestamp', { fix: 'drop --ds (a batch run of one day is ingest without --follow)' });
    const runId = a['run-id'] ?? `follow__${new Date().toISOString()}`;
    Object.assign(base, { source: a.source, run_id: runId });
    const { config, warnings, secrets } = readConfig(a.config, undefined, { onSecret: registerSecret });
    secrets.forEach(registerSecret);
    const source = config.sources.find((s) => s.name === a.source);
    if (!source) throw new UsageError(`--source ${a.source} is not a configured source`, { fix: `pass one of: ${config.sources.map((s) => s.name).join(', ')}` });
    if (source.kind !== 'kafka') throw new UsageError(`--follow needs a kafka source; ${a.source} is a ${source.kind} source`, { fix: 'run it without --follow, once per ds' });
    log = log.child({ source: source.name, run: runId });
    warnings.forEach((w) => log.warn(w));
    const lake = openLake(config.lake, log);
    log.info('following', { group: source.group, topics: source.entities.flatMap((e) => e.topics), lake: lake.storage.rootUri, ...source.follow });
    const r = await runKafkaFollow({ step: 'ingest', runId, config, lake, log }, source, `sources.${config.sources.indexOf(source)}`, opts.signal, opts.onCommit);
    const summary = { ...base, status: 'success', exit_code: 0, micro_batches: r.microBatches, rows_in: r.read, rows_out: r.landed, rows_dropped: r.quarantined, refused: r.refused, rebalances: r.rebalances, duration_s: (Date.now() - started) / 1000 };
    log.info('stopped', summary);
    print(JSON.stringify(summary));
    return ExitCode.ok;
  } catch (err) {
    const code = exitCodeOf(err);
    const message = redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err));
    log.error(`ingest --follow failed: ${message}`, { exitCode: code, ...(code === ExitCode.failed && err instanceof Error ? { stack: err.stack } : {}) });
    print(JSON.stringify({ ...base, status: 'failed', exit_code: code, duration_s: (Date.now() - started) / 1000, error: message }));
    return code;
  }
}
