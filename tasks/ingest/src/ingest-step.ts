import type { FilesSourceConfig, PipelineConfig } from '@salesflow/config';
import { BadInputError, UsageError } from '@salesflow/errors';
import { datasets, openStorage } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { sourceForDs } from './files/expand-ds';
import { FilesExtractor } from './files/files-extractor';

function filesExtractor(config: PipelineConfig, source: FilesSourceConfig, path: string): FilesExtractor {
  const s3 = config.lake.s3;
  const storage = openStorage(path, {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.force_path_style,
    serverSideEncryption: s3.server_side_encryption,
    kmsKeyId: s3.kms_key_id,
  });
  return new FilesExtractor(storage, `sources.${config.sources.indexOf(source)}`);
}

/** Lands every entity of one source in raw/<kind>/<source>/<entity>/dt=<ds>/ as Parquet, each committed by its manifest. */
export async function runIngest(ctx: StepContext): Promise<StepResult> {
  const configured = ctx.config.sources.find((s) => s.name === ctx.source);
  if (!configured) throw new UsageError(`--source ${ctx.source} is not configured`, { fix: 'pass a name from the config sources' });
  const source = sourceForDs(configured, ctx.ds);
  const extractor = filesExtractor(ctx.config, configured, source.path);
  const batchSize = ctx.config.lake.row_group_size;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const skipped: string[] = [];
  let rows = 0;
  // Every entity is matched before anything is written, so a missing required file fails the
  // run without landing some entities of the source and not others.
  const extractions = [];
  for (const entity of source.entities) {
    const extraction = await extractor.extract(entity, { batchSize });
    if (extraction.planned === 0 && entity.required) {
      throw new BadInputError(`No file matches "${entity.pattern}" under ${source.path} for entity ${entity.name}`, {
        context: { source: source.name, entity: entity.name },
        fix: `land the files there, correct the pattern, or set required: false on the entity`,
      });
    }
    extractions.push({ entity, extraction });
  }
  for (const { entity, extraction } of extractions) {
    const log = ctx.log.child({ entity: entity.name });
    const dataset = datasets.raw(extractor.kind, source.name, entity.name);
    const writer = ctx.lake.openPartition({ dataset, ds: ctx.ds, step: ctx.step, runId: ctx.runId, schema: extraction.schema });
    const progress = startProgress(log, `ingest ${entity.name}`);
    try {
      for await (const batch of extraction.batches) {
        await writer.write(batch);
        progress.add(batch.numRows);
      }
      if (extraction.planned === 0) {
        // An empty partition, not none: downstream steps see "nothing landed for ds" instead of
        // a missing input, and a partition left by an earlier run of this ds is replaced.
        log.warn('no file matched; committing an empty partition', { pattern: entity.pattern });
        skipped.push(entity.name);
      }
      const manifest = await writer.commit({ source: source.name, kind: extractor.kind, inputs: extraction.inputs });
      progress.done();
      rows += manifest.rows;
      inputs.push(...extraction.inputs.map((i) => ({ uri: i.uri, rows: i.rows })));
      outputs.push({ uri: ctx.lake.partitionUri(dataset, ctx.ds), rows: manifest.rows });
      log.info(`landed ${manifest.rows} rows from ${extraction.inputs.length} file(s)`, { files: manifest.files.length });
    } catch (e) {
      // The original error matters more than a failed clean-up.
      await writer.abort(e).catch(() => undefined);
      throw e;
    }
  }
  return { rowsIn: rows, rowsOut: rows, inputs, outputs, metrics: { entities: outputs.length, skipped } };
}

export const ingestStep: StepDefinition = {
  name: 'ingest',
  description: 'Lands one source (files: CSV, JSON, NDJSON, Parquet, gzip) in the raw zone as Parquet.',
  perSource: true,
  run: runIngest,
};
