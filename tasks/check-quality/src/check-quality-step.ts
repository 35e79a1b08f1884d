import type * as arrow from 'apache-arrow';
import type { PipelineConfig } from '@salesflow/config';
import { DataQualityFailedError } from '@salesflow/errors';
import { piiPolicyFromConfig } from '@salesflow/pii-scan';
import { datasets, partitionPrefix, type Lake, type Manifest, type ReadOptions } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import {
  CHECK_KINDS,
  ReferenceKeyCollector,
  createCheck,
  type CheckContext,
  type RunReportView,
  missingColumnsMessage,
  runChecks,
  unrunnableCheckResult,
  type QualityCheckResult,
  type ReferenceKeys,
} from './checks';
import { planTableReads, type TableRead } from './plan-table-reads';
import { blockingFailures, buildQualityReport, type QualityReport } from './quality-report';
import { renderReportHtml } from './render-report-html';
import { readRunHistory } from './run-history';
import {
  buildProfilesDocument,
  profileDatasets,
  profileDriftResult,
  ProfileFeed,
  profilesKey,
  profileThreadAvailable,
  readPreviousProfiles,
  TableProfiler,
  type DatasetProfile,
} from './profile';

/** The step whose partitions this one checks. */
const PRODUCER = 'build-star-schema';
/**
 * Rows per batch read: a quarter of a row group. Profiles read every column of a table, and a
 * whole 131 k-row group of a wide table decoded at once held its text in WASM and Arrow memory
 * at the same time (standardize measured the same: 3x the memory, no faster).
 */
const READ_BATCH_ROWS = 32_768;

/** The key of the HTML page of the quality report of a ds. */
export function qualityHtmlKey(ds: string): string {
  return datasets.qualityPrefix(ds) + 'report.html';
}

/** The key of the quality report of a ds. */
export function qualityReportKey(ds: string): string {
  return datasets.qualityPrefix(ds) + 'report.json';
}

/**
 * Runs the configured quality checks on the curated partitions of ds, reading each table once
 * (only the columns its checks need), writes quality/dt=<ds>/report.json, and then throws
 * DataQualityFailedError (exit 3) when an error-severity check failed. Warn-severity failures are
 * only reported. A table or column that is missing fails its checks; it does not crash the step.
 */
export async function runCheckQuality(ctx: StepContext): Promise<StepResult> {
  const { config, lake, ds, log } = ctx;
  const checks = config.quality.checks;
  if (checks.length === 0) log.warn('no quality checks configured (quality.checks); the report will be empty');
  const batchSize = Math.min(config.lake.row_group_size, READ_BATCH_ROWS);
  const reader = new PartitionReader(lake, ds, batchSize);
  const results: QualityCheckResult[] = new Array(checks.length);
  const references = new Map<string, ReferenceKeys>();
  const runReports = await readRunReports(lake, ds);
  const profiling = config.quality.profiles.enabled;
  const plans = planTableReads(checks);
  // With quality.profiles.parallel (the default) the profiles are made on a thread of their own
  // from the chunks this thread reads; without it (or under jest, untranspiled) they are made here.
  const feed = profiling && config.quality.profiles.parallel && profileThreadAvailable() ? new ProfileFeed() : undefined;
  try {
    const profiles: Promise<DatasetProfile>[] = [];
    for (const plan of plans) {
      const context = await contextOf(ctx, plan, runReports, reader);
      const tableResults = await checkTable(ctx, plan, reader, references, context, profiling ? { profiles, feed } : undefined);
      plan.checks.forEach((i, k) => (results[i] = tableResults[k]!));
    }
    if (profiling) {
      // The partitions the checks did not read are profiled in a pass of their own.
      const rest = await profileDatasets(lake, ds, datasetsToProfile(config, plans.map((p) => p.table)), batchSize, log, feed);
      for (const [uri, rows] of rest.read) reader.recordRead(uri, rows);
      const all = [...(await Promise.all(profiles)), ...rest.profiles];
      const previous = await readPreviousProfiles(lake, ds);
      for (const p of all) {
        const before = previous?.datasets.find((d) => d.dataset === p.dataset);
        if (before) results.push(profileDriftResult(p, before, config.quality.profiles));
      }
      await lake.writeJson(profilesKey(ds), buildProfilesDocument(ds, ctx.runId, new Date(), all));
    }
  } finally {
    await feed?.close();
  }

  const verdict = buildQualityReport({ ds, runId: ctx.runId, generatedAt: new Date(), checks: results });
  const history = await readRunHistory(lake, {
    ds,
    runs: config.quality.history_runs,
    current: runReports,
    currentQuality: { status: verdict.status, failed: verdict.summary.failed, warned: verdict.summary.warned },
  });
  const report = buildQualityReport({ ds, runId: ctx.runId, generatedAt: new Date(verdict.generated_at), checks: results, steps: history.at(-1)!.steps, history });
  logResults(log, report);
  const key = qualityReportKey(ds);
  // The HTML first: report.json is what load-warehouse trusts, so it is written last.
  if (config.quality.html_report) await lake.storage.putBytes(qualityHtmlKey(ds), renderReportHtml(report), 'text/html; charset=utf-8');
  await lake.writeJson(key, report);
  log.info(`quality report written: ${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.warned} warned`, {
    report: lake.storage.uriOf(key),
    ...(config.quality.html_report ? { html: lake.storage.uriOf(qualityHtmlKey(ds)) } : {}),
    status: report.status,
  });
  const blocking = blockingFailures(report);
  if (blocking.length) throw new DataQualityFailedError(blocking, { context: { ds, report: lake.storage.uriOf(key) } });

  // rowsIn: rows of every distinct curated partition the step read (checked tables, and referenced
  // dimensions read only for their keys), each counted once. Nothing is transformed, so rowsOut = rowsIn.
  const inputs = reader.inputs();
  const rows = inputs.reduce((n, i) => n + i.rows, 0);
  return {
    rowsIn: rows,
    rowsOut: rows,
    inputs,
    // report.json: one entry per check; report.html: the same page for people.
    outputs: [{ uri: lake.storage.uriOf(key), rows: report.checks.length }, ...(config.quality.html_report ? [{ uri: lake.storage.uriOf(qualityHtmlKey(ds)), rows: report.checks.length }] : [])],
    metrics: { ...report.summary },
  };
}

const refKey = (table: string, column: string) => `${table}.${column}`;

/**
 * Runs the checks of one table in one pass over its partition, reading only the columns they
 * need, and collects on the way the key sets other tables' relationships checks will use.
 * `references` holds the key sets collected so far and receives this table's.
 */
async function checkTable(
  ctx: StepContext,
  plan: TableRead,
  reader: PartitionReader,
  references: Map<string, ReferenceKeys>,
  context: CheckContext,
  profiling?: { readonly profiles: Promise<DatasetProfile>[]; readonly feed?: ProfileFeed },
): Promise<QualityCheckResult[]> {
  const { config, lake, ds, log } = ctx;
  const checks = plan.checks.map((i) => config.quality.checks[i]!);
  const manifest = await reader.manifest(plan.table);
  if (!manifest) {
    const why = `${plan.table} has no partition for ds ${ds} (${partitionUri(lake, plan.table, ds)} has no _manifest.json): run ${PRODUCER} for this ds first`;
    for (const column of plan.referencedColumns) references.set(refKey(plan.table, column), { table: plan.table, column, problem: why });
    return checks.map((c) => unrunnableCheckResult(c, why));
  }
  const tableColumns = manifest.schema.map((c) => c.name);

  // Keys of referenced tables not collected yet (tables without checks of their own, or a reference cycle).
  for (const c of checks) {
    const r = c.references;
    if (c.check === 'relationships' && r && !references.has(refKey(r.table, r.column))) {
      references.set(refKey(r.table, r.column), await reader.referenceKeys(r.table, r.column));
    }
  }

  const sampleColumns = identityColumnsOf(config, plan.table).filter((c) => tableColumns.includes(c));
  const runners = checks.map((c) =>
    createCheck(c, {
      tableColumns,
      expectedRows: manifest.rows,
      sampleColumns,
      sampleLimit: config.quality.sample_size,
      context,
      reference: c.references && references.get(refKey(c.references.table, c.references.column)),
      piiPolicy: c.check === 'pii_scan' ? piiPolicyFromConfig(config.mask, sourceEntityOf(config, plan.table), tableColumns) : undefined,
    }),
  );
  const collectors: ReferenceKeyCollector[] = [];
  for (const column of plan.referencedColumns) {
    if (tableColumns.includes(column)) collectors.push(new ReferenceKeyCollector(plan.table, column));
    else references.set(refKey(plan.table, column), { table: plan.table, column, problem: missingColumnsMessage(plan.table, [column], tableColumns) });
  }

  // A check on a missing column already knows it failed and must not ask for that column.
  const checked = runners.flatMap((r) => r.columns).filter((c) => tableColumns.includes(c));
  let columns = [...new Set([...checked, ...(checked.length ? sampleColumns : []), ...collectors.map((c) => c.column)])];
  if (columns.length === 0 && tableColumns.length > 0) columns = [cheapestColumn(manifest)]; // row_count alone still counts real rows
  // The profile rides the same pass; it needs every column.
  const dataset = datasets.curated(plan.table);
  const onThread = profiling?.feed?.begin(dataset, ds, manifest.schema);
  const profiler = profiling && !onThread ? new TableProfiler(dataset, ds, manifest.schema) : undefined;
  if (profiling) columns = tableColumns;

  const progress = startProgress(log.child({ table: plan.table }), `check ${plan.table}`);
  const results = await runChecks(runners, reader.batches(plan.table, manifest, columns, onThread?.chunk), {
    alsoFeed: profiler ? [...collectors, profiler] : collectors,
    onBatch: (b) => progress.add(b.numRows),
    reread: (sampled) => reader.batches(plan.table, manifest, sampled),
  });
  progress.done();
  for (const c of collectors) references.set(refKey(c.table, c.column), c.finish());
  if (onThread) {
    const profile = onThread.finish();
    profile.catch(() => undefined); // awaited after the checks; a failure must not go unhandled meanwhile
    profiling!.profiles.push(profile);
  } else if (profiler) profiling!.profiles.push(Promise.resolve(profiler.finish()));
  return results;
}

/**
 * The partitions of ds the checks do not read, to profile in a pass of their own: curated tables
 * without checks, and (quality.profiles.processed) processed/masked/<entity> of each entity.
 */
function datasetsToProfile(config: StepContext['config'], checkedTables: readonly string[]): string[] {
  const star = config.star_schema;
  const curated = [...new Set([star.fact.table, ...Object.keys(star.dimensions), 'dim_date'])].filter((t) => !checkedTables.includes(t)).map((t) => datasets.curated(t));
  const masked = config.quality.profiles.processed ? Object.keys(config.standardize.entities).map((e) => datasets.masked(e)) : [];
  return [...curated, ...masked];
}

/** What the checks of one table need beyond its partition: the previous partition's rows, the run reports of ds. */
async function contextOf(ctx: StepContext, plan: TableRead, runReports: ReadonlyMap<string, RunReportView>, reader: PartitionReader): Promise<CheckContext> {
  const kinds = plan.checks.map((i) => CHECK_KINDS[ctx.config.quality.checks[i]!.check]);
  let previous: CheckContext['previous'];
  if (kinds.some((k) => k.needs?.previousPartition)) {
    const dataset = datasets.curated(plan.table);
    const before = (await ctx.lake.listPartitions(dataset)).filter((d) => d < ctx.ds).at(-1);
    const m = before ? await ctx.lake.readManifest(dataset, before) : undefined;
    if (m) previous = { ds: m.ds, rows: m.rows };
  }
  // Rows newer batches moved out of the checked fact partition since its build (the same manifest the check reads).
  let factMovedOut: number | undefined;
  let factSuperseded: number | undefined;
  if (plan.table === ctx.config.star_schema.fact.table) {
    const meta = (await reader.manifest(plan.table))?.meta;
    const moved = meta?.moved_out as Record<string, number> | undefined;
    factMovedOut = Object.values(moved ?? {}).reduce((n, v) => n + Number(v), 0);
    factSuperseded = Number(meta?.superseded ?? 0);
  }
  return { ds: ctx.ds, previous, runReports, factSource: ctx.config.star_schema.fact.source, factMovedOut, factSuperseded };
}

/** The run reports of ds (_runs/dt=<ds>/*.json) by file name without .json: small documents, read whole. */
export async function readRunReports(lake: Lake, ds: string): Promise<Map<string, RunReportView>> {
  const prefix = datasets.runReportKey(ds, '').replace(/\.json$/, '');
  const out = new Map<string, RunReportView>();
  for (const o of await lake.storage.list(prefix)) {
    if (!o.key.endsWith('.json')) continue;
    const report = await lake.readJson<RunReportView>(o.key);
    if (report) out.set(o.key.slice(prefix.length, -'.json'.length), report);
  }
  return out;
}

function logResults(log: Logger, report: QualityReport): void {
  for (const c of report.checks) {
    const fields = { check: c.name, severity: c.severity, failing_rows: c.failing_rows, rows_checked: c.rows_checked };
    if (c.status === 'passed') log.debug(`quality check passed: ${c.name}: ${c.message}`, fields);
    else if (c.severity === 'warn') log.warn(`quality check failed (warn): ${c.name}: ${c.message}`, fields);
    else log.error(`quality check failed: ${c.name}: ${c.message}`, fields);
  }
}

/**
 * The columns that let someone find a failing row, added to samples: the fact's grain, a
 * dimension's natural key, dim_date's date_key.
 */
export function identityColumnsOf(config: PipelineConfig, table: string): string[] {
  const star = config.star_schema;
  if (table === star.fact.table) return [...star.fact.grain];
  const dim = star.dimensions[table];
  if (dim) return [dim.natural_key];
  return table === 'dim_date' ? ['date_key'] : [];
}

/** The masked entity a curated table is built from (its mask rules and safe columns apply); dim_date has none. */
export function sourceEntityOf(config: PipelineConfig, table: string): string {
  const star = config.star_schema;
  if (table === star.fact.table) return star.fact.source;
  return star.dimensions[table]?.source ?? table;
}

/** The URI of a curated partition (folder), for messages and lineage. */
function partitionUri(lake: Lake, table: string, ds: string): string {
  // uriOf() takes object keys, which never end with "/".
  return lake.storage.uriOf(partitionPrefix(datasets.curated(table), ds).replace(/\/$/, '')) + '/';
}

/** A fixed-width column if there is one: the cheapest to read when only rows are counted. */
function cheapestColumn(manifest: Manifest): string {
  return (manifest.schema.find((c) => c.kind !== 'string') ?? manifest.schema[0]!).name;
}

/** Reads curated partitions of one ds, caching manifests and recording what was read for lineage. */
class PartitionReader {
  private readonly manifests = new Map<string, Manifest | undefined>();
  private readonly read = new Map<string, number>();

  constructor(
    private readonly lake: Lake,
    private readonly ds: string,
    private readonly batchSize: number,
  ) {}

  async manifest(table: string): Promise<Manifest | undefined> {
    if (!this.manifests.has(table)) this.manifests.set(table, await this.lake.readManifest(datasets.curated(table), this.ds));
    return this.manifests.get(table);
  }

  /**
   * The batches of a committed partition, only the given columns. Same files as
   * lake.readPartition, but from the manifest already in hand: its schema is what told us which
   * requested columns exist, and the reader throws on unknown ones.
   */
  batches(table: string, manifest: Manifest, columns: readonly string[], onChunk?: ReadOptions['onChunk']): AsyncGenerator<arrow.RecordBatch> {
    this.read.set(this.lake.storage.uriOf(partitionPrefix(manifest.dataset, this.ds).replace(/\/$/, '')) + '/', manifest.rows);
    return this.lake.readManifestBatches(manifest, { columns, batchSize: this.batchSize, onChunk });
  }

  /** The distinct keys of a referenced table's column, or why they cannot be had. */
  async referenceKeys(table: string, column: string): Promise<ReferenceKeys> {
    const m = await this.manifest(table);
    if (!m) return { table, column, problem: `${table} has no partition for ds ${this.ds}: run ${PRODUCER} for this ds first` };
    const names = m.schema.map((c) => c.name);
    if (!names.includes(column)) return { table, column, problem: missingColumnsMessage(table, [column], names) };
    const collector = new ReferenceKeyCollector(table, column);
    for await (const b of this.batches(table, m, [column])) collector.consume(b);
    return collector.finish();
  }

  /** A partition read by profileDatasets, as an input. */
  recordRead(uri: string, rows: number): void {
    this.read.set(uri, rows);
  }

  inputs(): DatasetRef[] {
    return [...this.read].map(([uri, rows]) => ({ uri, rows }));
  }
}

export const checkQualityStep: StepDefinition = {
  name: 'check-quality',
  description:
    'Runs the configured data quality checks on the curated partitions of ds (and reconciles the run reports), ' +
    'profiles every column (quality/dt=<ds>/profiles.json, with warn checks on drift since the previous ds), ' +
    'writes quality/dt=<ds>/report.json and report.html, and exits 3 when an error-severity check fails.',
  run: runCheckQuality,
};
