import { BatchBuilder, columnReaders, DEFAULT_DECIMAL_PRECISION, KeySet, schemaOf, Utf8Ids } from '@salesflow/batches';
import { DEFAULT_HISTORY_START, columnsOfExpression, parseMeasureExpression, surrogateKeyOf, type DimensionConfig, type PipelineConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, type Lake, type Manifest, type PartitionWriter } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { addInferredMembers, dimensionBatches, emptyDimension, type KindOf, highestKey, keyLookup, type KeyLookup, loadSnapshotBatch, mergeObservations, type Dimension, type DimensionChanges, type Observation } from './build-dimension';
import { buildFactBatch, type DerivedMeasure, type FactBatchStats } from './build-fact-batch';
import { MAX_KEY_META, highestMaxKey, mostRecentlyCommitted } from './choose-snapshot';
import { compileMeasure } from './derive-measure';
import { dropOwnedGrains, moveTakenGrains, readGrains, type MovedRows } from './fact-grain-merge';
import { DIM_DATE_COLUMNS, calendar, dayOfDateKey, epochDay, unknownDateRow } from './dim-date';

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

function kindsFrom(manifest: Manifest): KindOf {
  const defs = new Map(manifest.schema.map((c) => [c.name, c]));
  return (col) => {
    const d = defs.get(col);
    if (!d) return 'string';
    return d.kind === 'decimal' ? { kind: 'decimal', precision: d.precision, scale: d.scale } : d.kind;
  };
}

/** A dimension merged in memory, not written yet. */
interface MergedDimension {
  readonly table: string;
  readonly cfg: DimensionConfig;
  readonly dim: Dimension;
  readonly source: Manifest;
  readonly changes: DimensionChanges & { null_natural_keys: number; null_source_times?: number; previous_snapshot: string | null };
  readonly keysGivenUpTo: number;
}

async function mergeDimension(ctx: StepContext, table: string, cfg: DimensionConfig): Promise<MergedDimension> {
  const { lake, ds } = ctx;
  const source = await lake.requireManifest(datasets.masked(cfg.source), ds, 'mask');
  const historyStart = cfg.history_start === null ? undefined : epochDay(Date.parse(`${cfg.history_start ?? DEFAULT_HISTORY_START}T00:00:00Z`));
  const spec = { keyColumn: surrogateKeyOf(table, cfg), naturalKey: cfg.natural_key, attributes: cfg.attributes, history: cfg.history, tracked: cfg.tracked, historyStart };
  const dim = emptyDimension(spec, kindsFrom(source));
  const columns = dim.columns;
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
  const { observations, nullKeys, nullTimes } = await readObservations(lake, source, table, cfg, Date.parse(`${ds}T00:00:00Z`));
  // New keys go above the highest max_key of ALL snapshots, not only the loaded one: a backfill
  // running beside this run may have given keys to members the loaded snapshot lacks. Snapshots
  // committed before max_key existed count through the loaded members' keys. Two runs at the very
  // same moment (one reading these manifests before the other commits) can still hand out the same
  // key to different members; dimensions are committed as soon as merged, before the fact is
  // built, to keep that window to seconds.
  const keysGivenUpTo = highestMaxKey(snapshots);
  const changes = {
    ...mergeObservations(dim, observations, keysGivenUpTo),
    null_natural_keys: nullKeys,
    ...(cfg.valid_from_column === undefined ? {} : { null_source_times: nullTimes }),
    previous_snapshot: previous?.ds ?? null,
  };
  return { table, cfg, dim, source, changes, keysGivenUpTo };
}

/**
 * The dimension's source rows of ds as observations: each at the time its valid_from_column gives
 * (the start of ds when the dimension has none, or the row's value is null). Rows without a
 * natural key are left out and counted, as are null times.
 */
async function readObservations(lake: Lake, source: Manifest, table: string, cfg: DimensionConfig, dsStart: number): Promise<{ observations: Observation[]; nullKeys: number; nullTimes: number }> {
  const timeColumn = cfg.valid_from_column;
  if (timeColumn !== undefined) {
    const kind = source.schema.find((c) => c.name === timeColumn)?.kind;
    if (kind !== 'timestamp' && kind !== 'date')
      throw new PipelineError(`${table}: valid_from_column ${timeColumn} is ${kind ? `a ${kind} column` : 'missing'} in processed/masked/${cfg.source} dt=${source.ds}`, {
        exitCode: ExitCode.usage,
        context: { table, ds: source.ds, column: timeColumn },
        fix: `declare ${timeColumn} as timestamp or date in standardize.entities.${cfg.source}.columns and re-run standardize and mask, or remove star_schema.dimensions.${table}.valid_from_column`,
      });
  }
  const columns = [cfg.natural_key, ...cfg.attributes, ...(timeColumn === undefined ? [] : [timeColumn])];
  const attributes = cfg.attributes.length;
  const observations: Observation[] = [];
  let nullKeys = 0;
  let nullTimes = 0;
  for await (const b of lake.readManifestBatches(source, { columns })) {
    const readers = columnReaders(b, columns);
    for (let r = 0; r < b.numRows; r++) {
      const nk = readers[0]!(r);
      if (nk === null || nk === undefined) {
        nullKeys++;
        continue;
      }
      const attrs = new Array<unknown>(attributes);
      for (let a = 0; a < attributes; a++) attrs[a] = readers[a + 1]!(r);
      let at = dsStart;
      if (timeColumn !== undefined) {
        const t = readers[attributes + 1]!(r) as number | bigint | null | undefined;
        if (t === null || t === undefined) nullTimes++;
        else at = Number(t);
      }
      observations.push({ naturalKey: String(nk), attrs, at });
    }
  }
  return { observations, nullKeys, nullTimes };
}

async function writeDimension(ctx: StepContext, m: MergedDimension, log: Logger): Promise<{ input: DatasetRef; output: DatasetRef }> {
  const { lake, ds } = ctx;
  // The high-water mark, not just this snapshot's highest key, so it survives old partitions expiring.
  const maxKey = Math.max(m.keysGivenUpTo, highestKey(m.dim));
  const writer = lake.openPartition({ dataset: datasets.curated(m.table), ds, step: STEP, runId: ctx.runId, schema: schemaOf(m.dim.columns) });
  let manifest: Manifest;
  try {
    await writer.writeAll(dimensionBatches(m.dim, ctx.config.lake.row_group_size));
    manifest = await writer.commit({ table: m.table, natural_key: m.cfg.natural_key, history: m.cfg.history, changes: m.changes, [MAX_KEY_META]: maxKey });
  } catch (e) {
    await abortAll([writer], e, log);
    throw e;
  }
  log.info(`${m.table}: ${manifest.rows} rows`, { ...m.changes });
  return {
    input: { uri: lake.partitionUri(datasets.masked(m.cfg.source), ds), rows: m.source.rows },
    output: { uri: lake.partitionUri(datasets.curated(m.table), ds), rows: manifest.rows },
  };
}

/**
 * Natural keys the fact batch refers to that a dimension with late_arriving: inferred does not
 * know, per dimension table. Reads only the lookup columns.
 */
async function unknownNaturalKeys(lake: Lake, source: Manifest, lookups: readonly { column: string; dim: Dimension; table: string }[]): Promise<Map<string, Set<string>>> {
  const out = new Map(lookups.map((l) => [l.table, new Set<string>()]));
  if (!lookups.length) return out;
  const columns = [...new Set(lookups.map((l) => l.column))];
  // Each distinct natural key is decoded and checked once (Utf8Ids numbers them in order of first sight).
  const seen = lookups.map(() => new Utf8Ids());
  for await (const b of lake.readManifestBatches(source, { columns })) {
    lookups.forEach((l, i) => {
      const column = b.getChild(l.column);
      if (!column) return;
      const ids = seen[i]!;
      const checked = ids.size;
      ids.idsOf(column);
      const missing = out.get(l.table)!;
      for (let id = checked; id < ids.size; id++) if (!l.dim.members.has(ids.values[id]!)) missing.add(ids.values[id]!);
    });
  }
  return out;
}

/** Derived measures compiled against the fact source's declared column scales. */
function derivedMeasures(config: PipelineConfig): DerivedMeasure[] {
  const fact = config.star_schema.fact;
  const declared = config.standardize.entities[fact.source]?.columns ?? {};
  const scaleOf = (col: string) => {
    const spec = declared[col];
    return spec?.type === 'decimal' ? spec.scale : spec?.type === 'int' || spec?.type === 'bigint' ? 0 : undefined;
  };
  return fact.derived_measures.map((d) => {
    const expr = parseMeasureExpression(d.expression);
    return { name: d.name, precision: d.precision ?? DEFAULT_DECIMAL_PRECISION, scale: d.scale, compile: (read, readUnits) => compileMeasure(expr, d.scale, read, scaleOf, readUnits) };
  });
}

/**
 * Merges and writes every configured dimension (with the inferred members the fact source needs),
 * pushing their inputs and outputs, and returns each one's key lookup for the fact. The members
 * themselves are not returned: at 70 k customers they held about 30 MB that the fact pass, the
 * step's peak, does not need.
 */
async function buildDimensions(ctx: StepContext, source: Manifest, inputs: DatasetRef[], outputs: DatasetRef[]): Promise<{ lookups: Map<string, KeyLookup>; dimChanges: Record<string, object>; inferred: Record<string, number> }> {
  const star = ctx.config.star_schema;
  const fact = star.fact;
  const dims = new Map<string, Dimension>();
  const dimChanges: Record<string, object> = {};
  const merged: MergedDimension[] = [];
  for (const [table, cfg] of Object.entries(star.dimensions)) {
    const m = await mergeDimension(ctx, table, cfg);
    merged.push(m);
    dims.set(table, m.dim);
    dimChanges[table] = m.changes;
  }

  // Late-arriving members: facts naming a member a dimension does not know yet get an inferred one
  // (when the dimension says so), made before the dimension is written so the fact can point to it.
  const inferredLookups = fact.lookups
    .filter((l) => star.dimensions[l.dimension]!.late_arriving === 'inferred')
    .map((l) => ({ column: l.column, table: l.dimension, dim: dims.get(l.dimension)! }));
  const inferred: Record<string, number> = {};
  for (const [table, keys] of await unknownNaturalKeys(ctx.lake, source, inferredLookups)) {
    const m = merged.find((x) => x.table === table)!;
    inferred[table] = addInferredMembers(m.dim, keys, m.keysGivenUpTo);
    m.changes.inferred_added += inferred[table]!;
  }
  for (const m of merged) {
    const r = await writeDimension(ctx, m, ctx.log.child({ table: m.table }));
    inputs.push(r.input);
    outputs.push(r.output);
  }

  const lookups = new Map([...dims].map(([table, dim]) => [table, keyLookup(dim)]));
  return { lookups, dimChanges, inferred };
}

/**
 * Builds the curated star schema for ds: every configured dimension as a whole snapshot (type 1,
 * or type 2 with every version) with stable surrogate keys, inferred members for facts whose
 * member has not arrived (when the dimension says so), fact rows of ds's batch with the key of
 * the version valid at each fact's date (-1 and counted when unknown) and derived measures, and
 * dim_date covering every date the facts need.
 */
export async function runBuildStarSchema(ctx: StepContext): Promise<StepResult> {
  const { lake, ds, config } = ctx;
  const star = config.star_schema;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const fact = star.fact;
  const source = await lake.requireManifest(datasets.masked(fact.source), ds, 'mask');
  // The dimensions' members are let go once written: the fact needs only their key lookups.
  const { lookups, dimChanges, inferred } = await buildDimensions(ctx, source, inputs, outputs);

  const plan = {
    grain: fact.grain,
    dateColumn: fact.date_column,
    measures: fact.measures,
    derived: derivedMeasures(config),
    batchDs: ds,
    lookups: fact.lookups.map((l) => ({
      column: l.column,
      keyColumn: surrogateKeyOf(l.dimension, star.dimensions[l.dimension]),
      keys: lookups.get(l.dimension)!,
    })),
  };
  const stats: FactBatchStats = { unknown: {}, mismatches: {} };
  let minDay: number | undefined;
  let maxDay: number | undefined;
  let dateManifest: Manifest;
  let factManifest: Manifest;
  // A grain belongs to the newest batch that carries it: rows newer batches hold are left out of
  // this one, and the grains this batch carries move here out of older partitions (after commit).
  const otherBatches = (await committedSnapshots(lake, fact.table)).filter((m) => m.ds !== ds);
  const newer = otherBatches.filter((m) => m.ds > ds);
  const older = otherBatches.filter((m) => m.ds < ds);
  const ownedByNewer = newer.length ? await readGrains(lake, newer, fact.grain) : undefined;
  const taken = older.length ? new KeySet(Math.max(source.rows, 16), Math.max(source.rows, 16) * 16) : undefined;
  let superseded = 0;
  const progress = startProgress(ctx.log, `build ${fact.table}`);
  const factWriter = lake.openPartition({ dataset: datasets.curated(fact.table), ds, step: STEP, runId: ctx.runId });
  let dateWriter: PartitionWriter | undefined;
  // Every writer opened here is aborted on any failure until its commit (commit order: dim_date, then the fact last).
  try {
    let factRows = 0;
    const sourceColumns = new Set(source.schema.map((c) => c.name));
    const derivedInputs = fact.derived_measures.flatMap((d) => [...columnsOfExpression(parseMeasureExpression(d.expression)), ...(sourceColumns.has(d.name) ? [d.name] : [])]);
    const columns = [...new Set([...fact.grain, fact.date_column, ...fact.measures, ...derivedInputs, ...fact.lookups.map((l) => l.column)])];
    for await (const read of lake.readManifestBatches(source, { columns })) {
      const { batch: b, dropped } = dropOwnedGrains(read, fact.grain, ownedByNewer, taken);
      superseded += dropped;
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
    const dateRow = calendar({ holidays: star.dim_date.holidays, fiscalYearStartMonth: star.dim_date.fiscal_year_start_month });
    dates.appendRow(unknownDateRow());
    if (minDay !== undefined && maxDay !== undefined) for (let d = minDay; d <= maxDay; d++) dates.appendRow(dateRow(d));
    await dateWriter.write(dates.finish());
    dateManifest = await dateWriter.commit({ from: minDay, to: maxDay });
    factManifest = await factWriter.commit({ table: fact.table, unknown_members: stats.unknown, inferred_members: inferred, derived_mismatches: stats.mismatches, superseded });
  } catch (e) {
    await abortAll([dateWriter, factWriter], e, ctx.log);
    throw e;
  }
  // After this batch's commit: a crash here leaves a grain in two partitions until the re-run,
  // never in none.
  const moved: MovedRows[] = taken ? await moveTakenGrains(lake, older, fact.grain, taken, { ds, step: STEP, runId: ctx.runId }) : [];
  if (superseded) ctx.log.info(`${superseded} fact rows of this batch are left out: a newer batch carries their grain`, { superseded, newer: newer.map((m) => m.ds) });
  for (const m of moved) {
    ctx.log.info(`${m.rows} fact rows moved from the batch of ${m.ds} to this one (their grain is carried again)`, { from: m.ds, rows: m.rows, remaining: m.remaining });
    outputs.push({ uri: lake.partitionUri(datasets.curated(fact.table), m.ds), rows: m.remaining });
  }
  const unknownTotal = Object.values(stats.unknown).reduce((a, b) => a + b, 0);
  if (unknownTotal) ctx.log.warn(`${unknownTotal} fact lookups missed and point to the unknown member -1`, { unknown: stats.unknown });
  const mismatchTotal = Object.values(stats.mismatches ?? {}).reduce((a, b) => a + b, 0);
  if (mismatchTotal) ctx.log.warn(`${mismatchTotal} fact rows carry a source value that differs from the derived measure; the derived value is kept`, { derived_mismatches: stats.mismatches });

  inputs.push({ uri: lake.partitionUri(datasets.masked(fact.source), ds), rows: source.rows });
  outputs.push({ uri: lake.partitionUri(datasets.curated(fact.table), ds), rows: factManifest.rows });
  outputs.push({ uri: lake.partitionUri(datasets.curated('dim_date'), ds), rows: dateManifest.rows });
  return {
    rowsIn: source.rows,
    rowsOut: factManifest.rows,
    // Left out on purpose: a newer batch holds these grains.
    rowsDropped: superseded,
    inputs,
    outputs,
    metrics: {
      unknown_members: stats.unknown,
      inferred_members: inferred,
      derived_mismatches: stats.mismatches,
      dimensions: dimChanges,
      date_range: [minDay, maxDay],
      fact_merge: { superseded, moved_from: Object.fromEntries(moved.map((m) => [m.ds, m.rows])) },
    },
  };
}

export const buildStarSchemaStep: StepDefinition = {
  name: STEP,
  description: 'Builds the curated star schema (type 1 and type 2 dimensions with stable surrogate keys, inferred members, dim_date, the fact rows of ds).',
  run: runBuildStarSchema,
};

