import { BatchBuilder, columnReaders, schemaOf, type ColumnKind } from '@salesflow/batches';
import { surrogateKeyOf, type DimensionConfig } from '@salesflow/config';
import { datasets, type Lake, type Manifest } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { dimensionBatches, dimensionColumns, emptyDimension, keyLookup, loadSnapshotBatch, mergeSourceRows, type Dimension } from './build-dimension';
import { buildFactBatch, type FactBatchStats } from './build-fact-batch';
import { DIM_DATE_COLUMNS, dateRow, dayOfDateKey, unknownDateRow } from './dim-date';

const STEP = 'build-star-schema';

/** The newest committed snapshot of a curated table, whichever ds built it: it holds every key ever given. */
async function latestSnapshot(lake: Lake, table: string): Promise<Manifest | undefined> {
  const all = await lake.listPartitions(datasets.curated(table));
  return all.length ? lake.readManifest(datasets.curated(table), all[all.length - 1]!) : undefined;
}

function kindsFrom(manifest: Manifest): (col: string) => ColumnKind {
  const kinds = new Map(manifest.schema.map((c) => [c.name, c.kind]));
  return (col) => kinds.get(col) ?? 'string';
}

async function buildDimension(ctx: StepContext, table: string, cfg: DimensionConfig, log: Logger): Promise<{ dim: Dimension; input: DatasetRef; output: DatasetRef; changes: object }> {
  const { lake, ds } = ctx;
  const source = await lake.requireManifest(datasets.masked(cfg.source), ds, 'mask');
  const columns = dimensionColumns(surrogateKeyOf(table, cfg), cfg.natural_key, cfg.attributes, kindsFrom(source));
  const dim = emptyDimension(columns);
  const previous = await latestSnapshot(lake, table);
  if (previous) {
    for await (const b of lake.readManifestBatches(previous, { columns: columns.map((c) => c.name) })) loadSnapshotBatch(dim, b);
  }
  const rows: unknown[][] = [];
  let nullKeys = 0;
  for await (const b of lake.readManifestBatches(source, { columns: [cfg.natural_key, ...cfg.attributes] })) {
    const readers = columnReaders(b, [cfg.natural_key, ...cfg.attributes]);
    for (let r = 0; r < b.numRows; r++) {
      const row = readers.map((read) => read(r));
      if (row[0] === null || row[0] === undefined) nullKeys++;
      else rows.push(row);
    }
  }
  const changes = { ...mergeSourceRows(dim, rows), null_natural_keys: nullKeys, previous_snapshot: previous?.ds ?? null };
  const writer = lake.openPartition({ dataset: datasets.curated(table), ds, step: STEP, runId: ctx.runId, schema: schemaOf(columns) });
  try {
    await writer.writeAll(dimensionBatches(dim, ctx.config.lake.row_group_size));
  } catch (e) {
    await writer.abort(e);
    throw e;
  }
  const m = await writer.commit({ table, natural_key: cfg.natural_key, changes });
  log.info(`${table}: ${m.rows} rows`, changes);
  return {
    dim,
    changes,
    input: { uri: lake.partitionUri(datasets.masked(cfg.source), ds), rows: source.rows },
    output: { uri: lake.partitionUri(datasets.curated(table), ds), rows: m.rows },
  };
}

/**
 * Builds the curated star schema for ds: every configured dimension as a whole snapshot with
 * stable surrogate keys, fact rows of ds's batch with keys looked up (-1 and counted when
 * unknown), and dim_date covering every date the facts need.
 */
export async function runBuildStarSchema(ctx: StepContext): Promise<StepResult> {
  const { lake, ds, config } = ctx;
  const star = config.star_schema;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const dims = new Map<string, Dimension>();
  const dimChanges: Record<string, object> = {};
  for (const [table, cfg] of Object.entries(star.dimensions)) {
    const r = await buildDimension(ctx, table, cfg, ctx.log.child({ table }));
    dims.set(table, r.dim);
    dimChanges[table] = r.changes;
    inputs.push(r.input);
    outputs.push(r.output);
  }

  const fact = star.fact;
  const source = await lake.requireManifest(datasets.masked(fact.source), ds, 'mask');
  const plan = {
    grain: fact.grain,
    dateColumn: fact.date_column,
    measures: fact.measures,
    batchDs: ds,
    lookups: fact.lookups.map((l) => ({
      column: l.column,
      keyColumn: surrogateKeyOf(l.dimension, star.dimensions[l.dimension]),
      keys: keyLookup(dims.get(l.dimension)!),
    })),
  };
  const stats: FactBatchStats = { unknown: {} };
  const progress = startProgress(ctx.log, `build ${fact.table}`);
  const factWriter = lake.openPartition({ dataset: datasets.curated(fact.table), ds, step: STEP, runId: ctx.runId });
  let factRows = 0;
  try {
    const columns = [...new Set([...fact.grain, fact.date_column, ...fact.measures, ...fact.lookups.map((l) => l.column)])];
    for await (const b of lake.readManifestBatches(source, { columns })) {
      const out = buildFactBatch(b, plan, stats);
      await factWriter.write(out);
      factRows += out.numRows;
      progress.add(out.numRows);
    }
    if (factRows === 0) {
      // An empty batch still commits, with the fact's schema, so downstream steps see "no rows" rather than "missing".
      const empty = new BatchBuilder(source.schema.filter((c) => columns.includes(c.name)));
      await factWriter.write(buildFactBatch(empty.finish(), plan, stats));
    }
  } catch (e) {
    await factWriter.abort(e);
    throw e;
  }
  progress.done();

  // dim_date covers the previous snapshot's range and every date of this batch.
  const previousDates = await latestSnapshot(lake, 'dim_date');
  let { minDay, maxDay } = stats;
  if (previousDates) {
    for await (const b of lake.readManifestBatches(previousDates, { columns: ['date_key'] })) {
      const keys = b.getChild('date_key')!;
      for (let r = 0; r < b.numRows; r++) {
        const k = keys.get(r) as number;
        if (k === -1) continue;
        const day = dayOfDateKey(k);
        if (minDay === undefined || day < minDay) minDay = day;
        if (maxDay === undefined || day > maxDay) maxDay = day;
      }
    }
  }
  const dateWriter = lake.openPartition({ dataset: datasets.curated('dim_date'), ds, step: STEP, runId: ctx.runId, schema: schemaOf(DIM_DATE_COLUMNS) });
  const dates = new BatchBuilder(DIM_DATE_COLUMNS);
  dates.appendRow(unknownDateRow());
  if (minDay !== undefined && maxDay !== undefined) for (let d = minDay; d <= maxDay; d++) dates.appendRow(dateRow(d));
  await dateWriter.write(dates.finish());
  const dateManifest = await dateWriter.commit({ from: minDay, to: maxDay });
  const factManifest = await factWriter.commit({ table: fact.table, unknown_members: stats.unknown });
  const unknownTotal = Object.values(stats.unknown).reduce((a, b) => a + b, 0);
  if (unknownTotal) ctx.log.warn(`${unknownTotal} fact lookups missed and point to the unknown member -1`, { unknown: stats.unknown });

  inputs.push({ uri: lake.partitionUri(datasets.masked(fact.source), ds), rows: source.rows });
  outputs.push({ uri: lake.partitionUri(datasets.curated(fact.table), ds), rows: factManifest.rows });
  outputs.push({ uri: lake.partitionUri(datasets.curated('dim_date'), ds), rows: dateManifest.rows });
  return {
    rowsIn: source.rows,
    rowsOut: factManifest.rows,
    inputs,
    outputs,
    metrics: { unknown_members: stats.unknown, dimensions: dimChanges, date_range: [minDay, maxDay] },
  };
}

export const buildStarSchemaStep: StepDefinition = {
  name: STEP,
  description: 'Builds the curated star schema (dimensions with stable surrogate keys, dim_date, the fact rows of ds).',
  run: runBuildStarSchema,
};

