import type { FilesSourceConfig, PipelineConfig } from '@salesflow/config';
import { BadInputError, UsageError } from '@salesflow/errors';
import { datasets, openStorage } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { FilesExtractor } from './files/files-extractor';

function filesExtractor(config: PipelineConfig, source: FilesSourceConfig): FilesExtractor {
  const s3 = config.lake.s3;
  const storage = openStorage(source.path, {
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
  const source = ctx.config.sources.find((s) => s.name === ctx.source);
  if (!source) throw new UsageError(`--source ${ctx.source} is not configured`, { fix: 'pass a name from the config sources' });
  const extractor = filesExtractor(ctx.config, source);
  const batchSize = ctx.config.lake.row_group_size;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const skipped: string[] = [];
  let rows = 0;
  for (const entity of source.entities) {
    const log = ctx.log.child({ entity: entity.name });
    const extraction = await extractor.extract(entity, { batchSize });
    const dataset = datasets.raw(extractor.kind, source.name, entity.name);
    const writer = ctx.lake.openPartition({ dataset, ds: ctx.ds, step: ctx.step, runId: ctx.runId, schema: extraction.schema });
    const progress = startProgress(log, `ingest ${entity.name}`);
    try {
      for await (const batch of extraction.batches) {
        await writer.write(batch);
        progress.add(batch.numRows);
      }
      if (extraction.inputs.length === 0) {
        await writer.abort();
        if (entity.required) {
          throw new BadInputError(`No file matches "${entity.pattern}" under ${source.path} for entity ${entity.name}`, {
            context: { source: source.name, entity: entity.name },
            fix: `land the files there, correct the pattern, or set required: false on the entity`,
          });
        }
        log.warn('no file matched; entity skipped', { pattern: entity.pattern });
        skipped.push(entity.name);
        continue;
      }
      const manifest = await writer.commit({ source: source.name, kind: extractor.kind, inputs: extraction.inputs });
      progress.done();
      rows += manifest.rows;
      inputs.push(...extraction.inputs.map((i) => ({ uri: i.uri, rows: i.rows })));
      outputs.push({ uri: ctx.lake.partitionUri(dataset, ctx.ds), rows: manifest.rows });
      log.info(`landed ${manifest.rows} rows from ${extraction.inputs.length} file(s)`, { files: manifest.files.length });
    } catch (e) {
      await writer.abort(e);
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
