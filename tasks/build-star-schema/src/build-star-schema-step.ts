import { BatchBuilder, columnReaders, schemaOf, type ColumnKind } from '@salesflow/batches';
import { surrogateKeyOf, type DimensionConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, type Lake, type Manifest, type PartitionWriter } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { dimensionBatches, dimensionColumns, emptyDimension, highestKey, keyLookup, loadSnapshotBatch, mergeSourceRows, type Dimension } from './build-dimension';
import { buildFactBatch, type FactBatchStats } from './build-fact-batch';
import { MAX_KEY_META, highestMaxKey, mostRecentlyCommitted } from './choose-snapshot';
import { DIM_DATE_COLUMNS, dateRow, dayOfDateKey, unknownDateRow } from './dim-date';

const STEP = 'build-star-schema';

/** Manifests fetched at once when reading every snapshot of a table (one small GET each). */
const MANIFEST_READS_IN_FLIGHT = 16;

/** The manifests (not the data) of every committed snapshot of a curated table, in ds order. */
async function committedSnapshots(lake: Lake, table: string): Promise<Manifest[]> {
  const dataset = datasets.curated(table);
  const dss = await lake.listPartitions(dataset);
  const found: (Manifest | undefined)[] = new Array(dss.length);
  let next = 0;
  const readSome = async () => {
    while (next < dss.length) {
      const i = next++;
      found[i] = await lake.readManifest(dataset, dss[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_READS_IN_FLIGHT, dss.length) }, readSome));
  // A partition removed (retention) between the listing and the read is simply gone.
  return found.filter((m): m is Manifest => m !== undefined);
}

/** Aborts writers after a failure; a committed writer ignores it. The original error is what matters, so abort errors are only logged. */
async function abortAll(writers: readonly (PartitionWriter | undefined)[], reason: unknown, log: Logger): Promise<void> {
  for (const w of writers) {
    if (!w) continue;
    await w.abort(reason).catch((e: unknown) => log.warn('could not abort a partition writer', { error: e instanceof Error ? e.message : String(e) }));
  }
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
  const snapshots = await committedSnapshots(lake, table);
  const previous = mostRecentlyCommitted(snapshots);
  if (previous) {
    const stored = new Set(previous.schema.map((c) => c.name));
    const lost = columns.slice(0, 2).filter((c) => !stored.has(c.name));
    if (lost.length) {
      // Read as null, a missing key column would silently drop every member's key.
      throw new PipelineError(`${table}: the previous snapshot (ds ${previous.ds}) has no column ${lost.map((c) => c.name).join(', ')}`, {
        exitCode: ExitCode.usage,
        context: { table, ds: previous.ds },
        fix: `the surrogate or natural key column of ${table} changed in star_schema.dimensions; restore it, or rebuild ${table} from scratch`,
      });
    }
    // Only the columns the snapshot has: an attribute added to the config since then reads as null
    // (columnReaders) for the old members and is filled from this ds's source rows.
    const readable = columns.map((c) => c.name).filter((n) => stored.has(n));
    for await (const b of lake.readManifestBatches(previous, { columns: readable })) loadSnapshotBatch(dim, b);
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
  // New keys go above the highest max_key of ALL snapshots, not only the loaded one: a backfill
  // running beside this run may have given keys to members the loaded snapshot lacks. Snapshots
  // committed before max_key existed count through the loaded members' keys. Two runs at the very
  // same moment (one reading these manifests before the other commits) can still hand out the same
  // key to different members; dimensions are committed as soon as written, before the fact is
  // built, to keep that window to seconds.
  const keysGivenUpTo = highestMaxKey(snapshots);
  const changes = { ...mergeSourceRows(dim, rows, keysGivenUpTo), null_natural_keys: nullKeys, previous_snapshot: previous?.ds ?? null };
  // The high-water mark, not just this snapshot's highest key, so it survives old partitions expiring.
  const maxKey = Math.max(keysGivenUpTo, highestKey(dim));
  const writer = lake.openPartition({ dataset: datasets.curated(table), ds, step: STEP, runId: ctx.runId, schema: schemaOf(columns) });
  let m: Manifest;
  try {
    await writer.writeAll(dimensionBatches(dim, ctx.config.lake.row_group_size));
    m = await writer.commit({ table, natural_key: cfg.natural_key, changes, [MAX_KEY_META]: maxKey });
  } catch (e) {
    await abortAll([writer], e, log);
    throw e;
  }
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
  let minDay: number | undefined;
  let maxDay: number | undefined;
  let dateManifest: Manifest;
  let factManifest: Manifest;
  const progress = startProgress(ctx.log, `build ${fact.table}`);
  const factWriter = lake.openPartition({ dataset: datasets.curated(fact.table), ds, step: STEP, runId: ctx.runId });
  let dateWriter: PartitionWriter | undefined;
  // Every writer opened here is aborted on any failure until its commit (commit order: dim_date, then the fact last).
  try {
    let factRows = 0;
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
    progress.done();

    // dim_date covers the previous snapshot's range (the most recently committed one, as for the
    // dimensions) and every date of this batch.
    const previousDates = mostRecentlyCommitted(await committedSnapshots(lake, 'dim_date'));
    ({ minDay, maxDay } = stats);
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
    dateWriter = lake.openPartition({ dataset: datasets.curated('dim_date'), ds, step: STEP, runId: ctx.runId, schema: schemaOf(DIM_DATE_COLUMNS) });
    const dates = new BatchBuilder(DIM_DATE_COLUMNS);
    dates.appendRow(unknownDateRow());
    if (minDay !== undefined && maxDay !== undefined) for (let d = minDay; d <= maxDay; d++) dates.appendRow(dateRow(d));
    await dateWriter.write(dates.finish());
    dateManifest = await dateWriter.commit({ from: minDay, to: maxDay });
    factManifest = await factWriter.commit({ table: fact.table, unknown_members: stats.unknown });
  } catch (e) {
    await abortAll([dateWriter, factWriter], e, ctx.log);
    throw e;
  }
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

