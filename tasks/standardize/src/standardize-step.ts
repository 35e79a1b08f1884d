import { schemaOf } from '@salesflow/batches';
import { starSchemaColumnsOf } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { datasets, type Manifest, type PartitionWriter } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import { findValueLikeNames } from '@salesflow/pii-scan';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { EntityStandardizer, planEntity, ROW_HASH_ALGORITHM, type EntityPlan, type StandardizeCounts } from './standardize-batch';

/**
 * Rows per batch read: smaller than a row group, since decoding a 131 k-row batch of text columns
 * held ~3x more WASM and Arrow memory and was no faster (1 M rows: 275 MB vs 199 MB at 16 k).
 */
const READ_BATCH_ROWS = 32_768;

/**
 * Casts every configured entity's raw partition to its declared schema: processed/<entity>,
 * rejects with reasons in processed/_rejected/<entity>, duplicates on the key dropped (the
 * latest by order_by when declared, else the first). Undeclared columns follow the entity's
 * unknown_columns policy (drop, evolve, or freeze: exit 4).
 * More rejects than standardize.reject_tolerance fails the step with exit 4 and publishes
 * only the rejects, so the bad rows can be inspected.
 */
export async function runStandardize(ctx: StepContext): Promise<StepResult> {
  const { config, lake, ds } = ctx;
  const batchSize = config.lake.row_group_size;
  // Kept rows go to the writer a read batch at a time (it still fills row groups of batchSize):
  // holding a whole row group here as well as in the encoder cost about 40 MB at the peak.
  const handoff = Math.min(batchSize, READ_BATCH_ROWS);
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const perEntity: Record<string, StandardizeCounts & { undeclared: readonly string[]; evolved: readonly string[]; missing: readonly string[]; sources?: Record<string, number>; control_characters_stripped?: Record<string, number> }> = {};
  const total: StandardizeCounts = { rowsIn: 0, rowsOut: 0, rejected: 0, duplicates: 0 };

  for (const [entity, cfg] of Object.entries(config.standardize.entities)) {
    const log = ctx.log.child({ entity });
    // Every source landing the entity (standardize.entities.<entity>.source may list several): their rows are unioned.
    const mapped = starSchemaColumnsOf(ctx.config, entity);
    const feeds: { rawDataset: string; manifest: Manifest; plan: EntityPlan; lineage: { source: string; ingestedAt: number; runId: string } }[] = [];
    for (const name of cfg.sources) {
      const source = config.sources.find((s) => s.name === name)!;
      const rawDataset = datasets.raw(source.kind, source.name, entity);
      const manifest = await lake.requireManifest(rawDataset, ds, `ingest --source ${source.name}`);
      refuseValueLikeColumns(entity, manifest.schema.map((c) => c.name), lake.partitionUri(rawDataset, ds));
      const plan = planEntity(entity, cfg, schemaOf(manifest.schema), { empty: manifest.rows === 0, mapped });
      const from = cfg.sources.length > 1 ? { source: name } : {};
      if (plan.evolved.length) log.warn('undeclared columns kept as text (unknown_columns: evolve); declare them to type them', { columns: plan.undeclared, ...from });
      else if (plan.undeclared.length) log.warn('undeclared columns dropped', { columns: plan.undeclared, ...from });
      if (plan.missing.length) log.warn('declared columns missing from the source; filled with nulls', { columns: plan.missing, ...from });
      feeds.push({ rawDataset, manifest, plan, lineage: { source: name, ingestedAt: Date.parse(manifest.committed_at), runId: ctx.runId } });
    }
    const plan = feeds[0]!.plan;
    const union = <T,>(pick: (p: typeof plan) => readonly T[]) => [...new Set(feeds.flatMap((f) => pick(f.plan)))];
    const std = new EntityStandardizer(plan, feeds[0]!.lineage, { expectedRows: feeds.reduce((n, f) => n + f.manifest.rows, 0), rejectedRawColumns: union((p) => p.rawColumns) });
    const undeclared = union((p) => p.undeclared);
    const missing = union((p) => p.missing);
    const open = (dataset: string, schema: ReturnType<typeof schemaOf>): PartitionWriter =>
      lake.openPartition({ dataset, ds, step: ctx.step, runId: ctx.runId, schema });
    const processed = open(datasets.processed(entity), std.processed.schema);
    const rejected = open(datasets.rejected(entity), std.rejected.schema);
    const progress = startProgress(log, `standardize ${entity}`);
    try {
      if (std.needsPrepass) {
        // Keeping the latest row of each key needs every row seen first: one pass to find the
        // winners (spilled by key hash beyond a million rows, so memory stays flat), a second to
        // write. Rows are never held. The first pass reads only the key and ordering columns.
        for (const f of feeds) {
          std.useSource(f.plan, f.lineage);
          const columns = std.prepassColumns;
          for await (const batch of lake.readManifestBatches(f.manifest, { batchSize: READ_BATCH_ROWS, columns: columns.length ? columns : undefined })) std.prepass(batch);
        }
        log.info(`standardize ${entity}: latest row per key found, writing`, { orderBy: plan.orderBy });
      }
      for (const f of feeds) {
        std.useSource(f.plan, f.lineage);
        for await (const batch of lake.readManifestBatches(f.manifest, { batchSize: READ_BATCH_ROWS })) {
          std.push(batch);
          progress.add(batch.numRows);
          if (std.processed.length >= handoff) await processed.write(std.processed.finish());
          if (std.rejected.length >= handoff) await rejected.write(std.rejected.finish());
        }
      }
      if (std.processed.length) await processed.write(std.processed.finish());
      if (std.rejected.length) await rejected.write(std.rejected.finish());
      progress.done();
      const c = std.counts;
      if (c.rowsIn !== c.rowsOut + c.rejected + c.duplicates) {
        throw new Error(`standardize ${entity} lost rows: in ${c.rowsIn} != out ${c.rowsOut} + rejected ${c.rejected} + duplicates ${c.duplicates}`);
      }
      await rejected.commit({ entity, reasons_column: '_reject_reason' });
      const share = c.rowsIn ? c.rejected / c.rowsIn : 0;
      if (share > config.standardize.reject_tolerance) {
        await processed.abort();
        throw new BadInputError(
          `Entity ${entity}: ${c.rejected} of ${c.rowsIn} rows rejected (${(share * 100).toFixed(1)}%), above the tolerance of ${(config.standardize.reject_tolerance * 100).toFixed(1)}%`,
          {
            context: { entity, ds },
            fix: `read the reasons in ${lake.partitionUri(datasets.rejected(entity), ds)}, correct the source or the declared schema, then re-run; or raise standardize.reject_tolerance`,
          },
        );
      }
      const sources = Object.fromEntries(feeds.map((f) => [f.lineage.source, f.manifest.rows]));
      const m = await processed.commit({ entity, counts: c, sources, undeclared_columns: undeclared, evolved_columns: plan.evolved, missing_columns: missing, order_by: plan.orderBy ?? null, row_hash: ROW_HASH_ALGORITHM });
      if (c.rejected) log.warn(`${c.rejected} rows rejected`, { rejected: c.rejected });
      const stripped = Object.fromEntries(std.stripped);
      if (std.stripped.size) log.warn('control characters stripped from text values (control_characters: strip)', { values_changed: stripped });
      perEntity[entity] = { ...c, undeclared, evolved: plan.evolved, missing, ...(std.stripped.size ? { control_characters_stripped: stripped } : {}), ...(feeds.length > 1 ? { sources } : {}) };
      for (const k of ['rowsIn', 'rowsOut', 'rejected', 'duplicates'] as const) total[k] += c[k];
      for (const f of feeds) inputs.push({ uri: lake.partitionUri(f.rawDataset, ds), rows: f.manifest.rows });
      outputs.push({ uri: lake.partitionUri(datasets.processed(entity), ds), rows: m.rows });
      outputs.push({ uri: lake.partitionUri(datasets.rejected(entity), ds), rows: c.rejected });
    } catch (e) {
      // The original error matters more than a failed clean-up.
      std.dispose();
      await processed.abort(e).catch(() => undefined);
      await rejected.abort(e).catch(() => undefined);
      throw e;
    }
  }
  return {
    rowsIn: total.rowsIn,
    rowsOut: total.rowsOut,
    rowsRejected: total.rejected,
    rowsDropped: total.duplicates,
    inputs,
    outputs,
    metrics: { entities: perEntity },
  };
}

/**
 * Column names that read like values (a file landed without its header) are refused before
 * any of them reaches a log line, the processed manifest or the run report. Exit 4.
 */
function refuseValueLikeColumns(entity: string, columns: readonly string[], uri: string): void {
  const found = findValueLikeNames(columns);
  if (found.length === 0) return;
  throw new BadInputError(
    `Entity ${entity}: ${found.length} column name(s) of ${uri} look like values (${found.slice(0, 5).map((f) => `column ${f.index + 1}: ${f.looksLike}`).join('; ')}); the names are not repeated here`,
    { context: { entity }, fix: 'the source landed data without its header: land it again with the header line, then re-run ingest and standardize' },
  );
}

export const standardizeStep: StepDefinition = {
  name: 'standardize',
  description: 'Casts raw entities to their declared schemas, quarantines bad rows with reasons, drops duplicate keys.',
  run: runStandardize,
};
