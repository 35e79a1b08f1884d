import type { ApiSourceConfig, DatabaseSourceConfig, FilesSourceConfig, KafkaSourceConfig, PipelineConfig, SourceConfig } from '@salesflow/config';
import { columnsOf } from '@salesflow/batches';
import { BadInputError, UsageError } from '@salesflow/errors';
import { datasets, openStorage } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import { dataIntervalOf, type DatasetRef, type StepContext, type StepDefinition, type StepResult } from '@salesflow/step';
import { ApiExtractor } from './api/api-extractor';
import { DatabaseExtractor } from './database/database-extractor';
import type { Extraction, Extractor } from './extractor';
import { sourceForDs } from './files/expand-ds';
import { declaredColumnsOf } from './declared-columns';
import { FilesExtractor } from './files/files-extractor';
import { runFollowedDayCheck } from './kafka/follow-close';
import { runKafkaIngest } from './kafka/kafka-ingest';
import { planStart, readPreviousState, writeEntityState } from './incremental/entity-state';
import { IngestMasking } from './mask-at-ingest';
import { diffSchemas, type SchemaChanges } from './schema-changes';

type BatchSourceConfig = Exclude<SourceConfig, KafkaSourceConfig>;
type AnyEntity = BatchSourceConfig['entities'][number];

function filesExtractor(config: PipelineConfig, source: FilesSourceConfig, path: string): FilesExtractor {
  const s3 = config.lake.s3;
  const storage = openStorage(path, {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.force_path_style,
    serverSideEncryption: s3.server_side_encryption,
    kmsKeyId: s3.kms_key_id,
    maxAttempts: s3.max_attempts,
  });
  return new FilesExtractor(storage, `sources.${config.sources.indexOf(source)}`);
}

/** The extractor of a source's kind, and the source as this ds reads it. */
function openExtractor(config: PipelineConfig, configured: BatchSourceConfig, ds: string): { source: BatchSourceConfig; extractor: Extractor<AnyEntity> } {
  const configPath = `sources.${config.sources.indexOf(configured)}`;
  switch (configured.kind) {
    case 'files': {
      const source = sourceForDs(configured, ds);
      return { source, extractor: filesExtractor(config, configured, source.path) as Extractor<AnyEntity> };
    }
    case 'database':
      return { source: configured, extractor: new DatabaseExtractor(configured as DatabaseSourceConfig, configPath) as Extractor<AnyEntity> };
    case 'api':
      return { source: configured, extractor: new ApiExtractor(configured as ApiSourceConfig, configPath) as Extractor<AnyEntity> };
  }
}

/** Whether an entity keeps state between runs (a cursor, or new-files-only). */
function isIncremental(entity: AnyEntity): boolean {
  return ('cursor_column' in entity && Boolean(entity.cursor_column)) || ('incremental' in entity && Boolean(entity.incremental)) || ('new_files_only' in entity && entity.new_files_only === true);
}

/**
 * Rows per extracted batch. The writer still fills row groups of lake.row_group_size; smaller
 * batches keep less in flight between the source, this thread and the Parquet worker.
 */
const EXTRACT_BATCH_ROWS = 32_768;

/**
 * Lands every entity of one source in raw/<kind>/<source>/<entity>/dt=<ds>/ as Parquet, each
 * committed by its manifest. Incremental entities continue from the state of the latest earlier
 * ds (so a re-run of any ds lands the same rows, and days may run in any order or at once), a
 * time cursor reads up to the data interval's end, and each run keeps its own state in
 * _state/<source>/<entity>/dt=<ds>.json, written only after the partition is committed.
 */
export async function runIngest(ctx: StepContext): Promise<StepResult> {
  const configured = ctx.config.sources.find((s) => s.name === ctx.source);
  if (!configured) throw new UsageError(`--source ${ctx.source} is not configured`, { fix: 'pass a name from the config sources' });
  if (configured.kind === 'kafka') {
    const configPath = `sources.${ctx.config.sources.indexOf(configured)}`;
    // A follower lands this source and holds its partitions: the day's run checks that it closed ds.
    return configured.follow.enabled ? runFollowedDayCheck(ctx, configured, configPath) : runKafkaIngest(ctx, configured, configPath);
  }
  const { source, extractor } = openExtractor(ctx.config, configured, ctx.ds);
  const batchSize = ctx.config.lake.row_group_size;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const skipped: string[] = [];
  const watermarks: Record<string, { before: string | null; after: string | null }> = {};
  const interval = dataIntervalOf(ctx);
  const schemaChanges: Record<string, SchemaChanges> = {};
  const warnings: string[] = [];
  let rows = 0;
  let dropped = 0;
  try {
    const plan = async (entity: AnyEntity) => {
      const starting = isIncremental(entity) ? planStart({ ds: ctx.ds, interval, fullRefresh: ctx.fullRefresh === true, ...(await readPreviousState(ctx.lake, source.name, entity.name, ctx.ds)) }) : {};
      const fullRefresh = ctx.fullRefresh === true || starting.fullRefresh === true;
      if (fullRefresh && !ctx.fullRefresh) ctx.log.info(`${entity.name}: ds ${ctx.ds} was loaded with --full-refresh; re-running it the same way`, { entity: entity.name });
      if (starting.gap) {
        const w = `${entity.name}: the latest earlier day (${starting.gap.ds}) read up to ${starting.gap.from}, before this run's interval starts (${starting.gap.to}); this run reads from ${starting.gap.to}, and the rows between belong to the days not run yet: run them`;
        ctx.log.warn(w, { entity: entity.name });
        warnings.push(w);
      }
      const start = starting.start;
      const extraction = await extractor.extract(entity, { batchSize: Math.min(batchSize, EXTRACT_BATCH_ROWS), start, run: { ds: ctx.ds, interval, fullRefresh }, declaredColumns: declaredColumnsOf(ctx.config, source.name, entity.name) });
      // A required entity needs files to exist; files that exist but were all ingested before are simply nothing new.
      if ((extraction.found ?? extraction.planned) === 0 && 'required' in entity && entity.required) {
        throw new BadInputError(`No file matches "${'pattern' in entity ? entity.pattern : ''}" under ${'path' in source ? source.path : ''} for entity ${entity.name}`, {
          context: { source: source.name, entity: entity.name },
          fix: `land the files there, correct the pattern, or set required: false on the entity`,
        });
      }
      return { entity, extraction, start, fullRefresh };
    };
    // File entities are all matched before anything is written, so a missing required file fails
    // the run without landing some entities of the source and not others. Database and API
    // entities are opened one at a time: each holds a connection or a spool while it is read.
    const planned = source.kind === 'files' ? await planAll(source.entities, plan) : undefined;
    for (let i = 0; i < source.entities.length; i++) {
      const { entity, extraction, start, fullRefresh } = planned ? planned[i]! : await plan(source.entities[i]!);
      const log = ctx.log.child({ entity: entity.name });
      const dataset = datasets.raw(extractor.kind, source.name, entity.name);
      const changes = await compareWithPrevious(ctx, dataset, extraction);
      if (changes) {
        schemaChanges[entity.name] = changes;
        const level = changes.removed.length || changes.changed.length ? 'warn' : 'info';
        log[level]('columns changed since the previous partition', { ...changes });
      }
      const open = (d: string, schema: typeof extraction.schema) => ctx.lake.openPartition({ dataset: d, ds: ctx.ds, step: ctx.step, runId: ctx.runId, schema });
      // Columns marked at_ingest in the mask section never land in the clear.
      const masking = IngestMasking.of(ctx.config, entity.name, extraction.schema, open);
      const writer = open(dataset, masking ? masking.schema : extraction.schema);
      const progress = startProgress(log, `ingest ${entity.name}`);
      try {
        for await (const batch of extraction.batches) {
          await writer.write(masking ? await masking.mask(batch, batchSize) : batch);
          progress.add(batch.numRows);
        }
        for (const w of extraction.warnings ?? []) {
          log.warn(w);
          warnings.push(w);
        }
        const maskedAtIngest = await masking?.commit();
        if (extraction.planned === 0) {
          // An empty partition, not none: downstream steps see "nothing landed for ds" instead of
          // a missing input, and a partition left by an earlier run of this ds is replaced.
          log.warn('nothing new to read; committing an empty partition');
          skipped.push(entity.name);
        }
        const outcome = extraction.outcome?.();
        const watermark = outcome ? { before: start?.watermark?.watermark ?? null, after: outcome.position?.watermark?.watermark ?? null } : undefined;
        const manifest = await writer.commit({
          source: source.name,
          kind: extractor.kind,
          inputs: extraction.inputs,
          ...(watermark ? { watermark } : {}),
          ...(outcome ? { dropped_already_loaded: outcome.dropped } : {}),
          ...(maskedAtIngest ? { masked_at_ingest: maskedAtIngest } : {}),
        });
        progress.done();
        if (outcome) {
          // Only now, after the commit: a failed run leaves the old watermark and is simply re-run.
          await writeEntityState(ctx.lake, { source: source.name, entity: entity.name, ds: ctx.ds, run_id: ctx.runId, interval, ...(fullRefresh ? { full_refresh: true } : {}), ...(outcome.readTo ? { read_to: outcome.readTo } : {}), ...(outcome.readFrom ? { read_from: outcome.readFrom } : {}), ...outcome.position });
          if (watermark) watermarks[entity.name] = watermark;
          dropped += outcome.dropped;
        }
        rows += manifest.rows;
        inputs.push(...extraction.inputs.map((x) => ({ uri: x.uri, rows: x.rows })));
        outputs.push({ uri: ctx.lake.partitionUri(dataset, ctx.ds), rows: manifest.rows });
        log.info(`landed ${manifest.rows} rows from ${extraction.inputs.length} input(s)`, { files: manifest.files.length, ...(outcome ? { droppedAlreadyLoaded: outcome.dropped, watermark } : {}) });
      } catch (e) {
        // The original error matters more than a failed clean-up.
        await writer.abort(e).catch(() => undefined);
        await masking?.abort(e);
        throw e;
      }
    }
  } finally {
    await extractor.close?.();
  }
  return {
    rowsIn: rows + dropped,
    rowsOut: rows,
    rowsDropped: dropped,
    inputs,
    outputs,
    metrics: { entities: outputs.length, skipped, watermarks, schema_changes: schemaChanges, full_refresh: ctx.fullRefresh === true, warnings },
  };
}

/**
 * Plans every entity at once and, when some fail, throws the failure of the first in config
 * order: the error a run reports must not depend on which listing answered first.
 */
async function planAll<E, P>(entities: readonly E[], plan: (e: E) => Promise<P>): Promise<P[]> {
  const settled = await Promise.allSettled(entities.map((e) => plan(e)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<P>).value);
}

/** Column changes against the latest committed partition before ds, for the run report. */
async function compareWithPrevious(ctx: StepContext, dataset: string, extraction: Extraction): Promise<SchemaChanges | undefined> {
  const earlier = (await ctx.lake.listPartitions(dataset)).filter((d) => d < ctx.ds);
  const last = earlier[earlier.length - 1];
  if (!last) return undefined;
  const manifest = await ctx.lake.readManifest(dataset, last);
  if (!manifest || manifest.rows === 0) return undefined;
  return diffSchemas(manifest.schema, columnsOf(extraction.schema), `dt=${last}`);
}

export const ingestStep: StepDefinition = {
  name: 'ingest',
  description: 'Lands one source (files: CSV, JSON, NDJSON, Parquet, gzip; PostgreSQL or MySQL tables and queries; REST APIs; Kafka topics) in the raw zone as Parquet, incrementally where configured. A Kafka source can also be followed as a stream: --follow --help.',
  perSource: true,
  run: runIngest,
};
