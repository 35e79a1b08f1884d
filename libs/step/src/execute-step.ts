import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError, UsageError, exitCodeOf, type ExitCodeValue } from '@salesflow/errors';
import { assertDs, datasets, type Lake } from '@salesflow/lake';
import { buildRunEvent, createLineageEmitter, type LineageEmitter, type RunEventType } from '@salesflow/lineage';
import { createLogger, redactText, registerSecret, type Logger } from '@salesflow/logging';
import { resolveDataInterval } from './data-interval';
import { describeDatasets, type DescribedDataset } from './describe-datasets';
import { openLake } from './open-lake';
import type { DatasetRef, StepContext, StepDefinition, StepResult, WatermarkChange } from './step-context';

/** The last stdout line: what Airflow pushes to XCom. */
export interface StepSummary {
  readonly step: string;
  readonly ds: string;
  readonly run_id: string;
  readonly source?: string;
  readonly status: 'success' | 'failed' | 'skipped';
  readonly exit_code: ExitCodeValue;
  readonly rows_in?: number;
  readonly rows_out?: number;
  readonly rows_rejected?: number;
  readonly rows_dropped?: number;
  readonly outputs?: readonly string[];
  readonly duration_s: number;
  readonly error?: string;
}

export interface ExecuteOptions {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Where the summary line goes; default stdout. */
  readonly print?: (line: string) => void;
  readonly log?: Logger;
  /** Folder Kubernetes' xcom sidecar reads; the summary is written there when it exists. */
  readonly xcomDir?: string;
  /** The fetch lineage events are POSTed with; default globalThis.fetch. */
  readonly lineageFetch?: typeof fetch;
}

/** The lineage of one step run: one OpenLineage run id for its START and its COMPLETE or FAIL. */
interface RunLineage {
  readonly runId: string;
  readonly emitter: LineageEmitter;
  send(type: RunEventType, extra?: { inputs?: readonly DatasetRef[]; outputs?: readonly DatasetRef[]; error?: string }): Promise<void>;
}

function startLineage(ctx: StepContext, fetchImpl?: typeof fetch): RunLineage {
  const runId = randomUUID();
  const job = ctx.source ? `${ctx.step}.${ctx.source}` : ctx.step;
  const emitter = createLineageEmitter({ config: ctx.config.lineage, lake: ctx.lake, log: ctx.log, ds: ctx.ds, job, runId, fetch: fetchImpl });
  return {
    runId,
    emitter,
    send: (eventType, extra = {}) =>
      emitter.emit(
        buildRunEvent({
          eventType,
          eventTime: new Date(),
          runId,
          namespace: ctx.config.pipeline.name,
          job,
          ds: ctx.ds,
          externalRunId: ctx.runId,
          inputs: extra.inputs,
          outputs: extra.outputs,
          error: extra.error,
        }),
      ),
  };
}

/**
 * Runs a step per the step contract: parse args, load config, build the context, run, write the
 * run report, print the summary as the last stdout line, and return the exit code. One catch maps
 * every error to its exit code. Never calls process.exit, so tests can call it.
 */
export async function executeStep(def: StepDefinition, opts: ExecuteOptions): Promise<ExitCodeValue> {
  const started = Date.now();
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  let log = opts.log ?? createLogger({ bindings: { step: def.name } });
  let ctx: StepContext | undefined;
  let lineage: RunLineage | undefined;
  let base: Pick<StepSummary, 'step' | 'ds' | 'run_id' | 'source'> = { step: def.name, ds: '', run_id: '' };
  try {
    const args = await parseArgs(def, opts.argv);
    if (!args) return ExitCode.ok; // --help
    assertDs(args.ds);
    // Secrets resolve when the step reads them, and are redacted from then on.
    const { config, warnings, secrets } = readConfig(args.config, undefined, { onSecret: registerSecret });
    secrets.forEach(registerSecret);
    if (def.perSource && !config.sources.some((s) => s.name === args.source)) {
      throw new UsageError(`--source ${args.source ?? '(missing)'} is not a configured source`, {
        fix: `pass one of: ${config.sources.map((s) => s.name).join(', ')}`,
      });
    }
    base = { step: def.name, ds: args.ds, run_id: args.runId, source: args.source };
    log = log.child({ ds: args.ds, run: args.runId, ...(args.source ? { source: args.source } : {}) });
    warnings.forEach((w) => log.warn(w));
    const lake = openLake(config.lake, log);
    const dataInterval = resolveDataInterval(args.ds, args.dataIntervalStart, args.dataIntervalEnd);
    ctx = { step: def.name, ds: args.ds, runId: args.runId, source: args.source, fullRefresh: args.fullRefresh, dataInterval, config, lake, log };
    lineage = startLineage(ctx, opts.lineageFetch);
    log.info(`${def.name} started`, { lake: lake.storage.rootUri });
    await lineage.send('START');
    const result = await runRetryingInPlace(def, ctx, log);
    const summary = summarize(base, 'success', ExitCode.ok, started, result);
    const inputs = await describeDatasets(lake, result.inputs);
    const outputs = await describeDatasets(lake, result.outputs);
    await writeRunReport(lake, ctx, summary, started, { result, inputs, outputs, lineage });
    await lineage.send('COMPLETE', { inputs, outputs });
    log.info(`${def.name} finished`, { rowsIn: result.rowsIn, rowsOut: result.rowsOut, seconds: summary.duration_s });
    emitSummary(summary, print, opts.xcomDir);
    return ExitCode.ok;
  } catch (err) {
    const code = exitCodeOf(err);
    const status = code === ExitCode.nothingToDo ? 'skipped' : 'failed';
    // The summary goes to stdout and XCom: it must not carry a secret any more than the logs do.
    const message = redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err));
    if (code === ExitCode.nothingToDo) log.info(message);
    else log.error(`${def.name} failed: ${message}`, { exitCode: code, ...(code === ExitCode.failed && err instanceof Error ? { stack: err.stack } : {}) });
    const summary = summarize(base, status, code, started, undefined, message);
    if (ctx) await writeRunReport(ctx.lake, ctx, summary, started, { lineage }).catch((e: Error) => log.warn(`could not write the run report: ${e.message}`));
    if (lineage && code !== ExitCode.nothingToDo) await lineage.send('FAIL', { error: message });
    else if (lineage) await lineage.send('COMPLETE');
    emitSummary(summary, print, opts.xcomDir);
    return code;
  }
}

interface StepArgs {
  readonly config: string;
  readonly ds: string;
  readonly source?: string;
  readonly runId: string;
  readonly fullRefresh: boolean;
  readonly dataIntervalStart?: string;
  readonly dataIntervalEnd?: string;
}

async function parseArgs(def: StepDefinition, argv: readonly string[]): Promise<StepArgs | undefined> {
  let helped = false;
  const parser = yargs([...argv])
    .scriptName(`node tasks/${def.name}/dist/main.js`)
    .usage(`$0 --config FILE --ds YYYY-MM-DD${def.perSource ? ' --source NAME' : ''}\n\n${def.description}`)
    .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
    .option('ds', { type: 'string', demandOption: true, describe: "Logical date YYYY-MM-DD (Airflow's {{ ds }})" })
    .option('source', { type: 'string', demandOption: Boolean(def.perSource), describe: 'Source name from the config' })
    .option('run-id', { type: 'string', describe: "Run id (Airflow's {{ run_id }}); default manual__<time>" })
    .option('full-refresh', { type: 'boolean', default: false, describe: 'Ignore incremental state (watermarks, files already ingested) and re-read everything' })
    .option('data-interval-start', { type: 'string', describe: "Start of the run's data interval, ISO-8601 (Airflow's {{ data_interval_start }}); default ds 00:00 UTC" })
    .option('data-interval-end', { type: 'string', describe: "End of the run's data interval, exclusive, ISO-8601 (Airflow's {{ data_interval_end }}); default ds+1 00:00 UTC" })
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad arguments', { fix: `run with --help for usage` });
    });
  const a = await parser.parseAsync();
  if (a.help || argv.includes('--help')) helped = true;
  if (helped) return undefined;
  return {
    config: a.config,
    ds: a.ds,
    source: a.source,
    runId: a['run-id'] ?? `manual__${new Date().toISOString()}`,
    fullRefresh: a['full-refresh'] === true,
    dataIntervalStart: a['data-interval-start'],
    dataIntervalEnd: a['data-interval-end'],
  };
}

function summarize(
  base: Pick<StepSummary, 'step' | 'ds' | 'run_id' | 'source'>,
  status: StepSummary['status'],
  code: ExitCodeValue,
  started: number,
  result?: StepResult,
  error?: string,
): StepSummary {
  return {
    ...base,
    status,
    exit_code: code,
    ...(result
      ? {
          rows_in: result.rowsIn,
          rows_out: result.rowsOut,
          rows_rejected: result.rowsRejected ?? 0,
          rows_dropped: result.rowsDropped ?? 0,
          outputs: result.outputs.map((o) => o.uri),
        }
      : {}),
    duration_s: Math.round((Date.now() - started) / 10) / 100,
    ...(error ? { error } : {}),
  };
}

/**
 * _runs/dt=<ds>/<step>[-<source>].json: the summary's fields, then when and how long, peak memory,
 * every input and output with its rows and schema hash, the watermarks before and after
 * (metrics.watermarks), where the lineage events went, and the step's own metrics.
 */
async function writeRunReport(
  lake: Lake,
  ctx: StepContext,
  summary: StepSummary,
  started: number,
  done: { result?: StepResult; inputs?: readonly DescribedDataset[]; outputs?: readonly DescribedDataset[]; lineage?: RunLineage },
): Promise<void> {
  const { result, lineage } = done;
  const strip = (d: DescribedDataset) => ({ uri: d.uri, rows: d.rows, ...(d.schema_hash ? { schema_hash: d.schema_hash } : {}) });
  const report = {
    ...summary,
    started_at: new Date(started).toISOString(),
    finished_at: new Date().toISOString(),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    inputs: (done.inputs ?? result?.inputs ?? []).map(strip),
    outputs: (done.outputs ?? result?.outputs ?? []).map(strip),
    watermarks: watermarksOf(result?.metrics),
    ...(lineage ? { lineage: { run_id: lineage.runId, target: lineage.emitter.target } } : {}),
    metrics: result?.metrics ?? {},
  };
  await lake.writeJson(datasets.runReportKey(ctx.ds, ctx.step, ctx.source), report);
}

/** metrics.watermarks as { entity: { before, after } }; anything else there is ignored. */
function watermarksOf(metrics?: Readonly<Record<string, unknown>>): Record<string, WatermarkChange> {
  const w = metrics?.watermarks;
  const out: Record<string, WatermarkChange> = {};
  if (!w || typeof w !== 'object') return out;
  for (const [entity, v] of Object.entries(w as Record<string, unknown>)) {
    if (v && typeof v === 'object' && 'after' in v) out[entity] = { before: (v as WatermarkChange).before ?? null, after: (v as WatermarkChange).after };
  }
  return out;
}

function emitSummary(summary: StepSummary, print: (l: string) => void, xcomDir = '/airflow/xcom'): void {
  const line = JSON.stringify(summary);
  if (existsSync(xcomDir)) writeFileSync(`${xcomDir}/return.json`, line);
  print(line);
}

/** The body of every task's main.ts: run the step with process argv and set the exit code. */
export function runStepMain(def: StepDefinition): void {
  void executeStep(def, { argv: process.argv.slice(2) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = ExitCode.failed;
    },
  );
}

/** Runs of a step after a partition it read was replaced under it, before the error is the step's. */
const IN_PLACE_ATTEMPTS = 3;

/**
 * Runs the step, and runs it again (up to IN_PLACE_ATTEMPTS in all) when it fails because a
 * partition it read was replaced meanwhile (an error with retryInPlace, e.g. a newer day's build
 * moving fact rows out of this day's partition during catch-up): steps are idempotent and commit
 * nothing half-done, so a second run reads the new partition. Any other error ends the step.
 */
async function runRetryingInPlace(def: StepDefinition, ctx: StepContext, log: Logger): Promise<StepResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await def.run(ctx);
    } catch (e) {
      if (attempt >= IN_PLACE_ATTEMPTS || !(e as { retryInPlace?: unknown })?.retryInPlace) throw e;
      log.warn(`${def.name}: ${(e as Error).message}; running the step again (${attempt + 1} of ${IN_PLACE_ATTEMPTS})`);
    }
  }
}
