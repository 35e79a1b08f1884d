import * as arrow from 'apache-arrow';
import { assembleBatch, columnReaders, DecimalWriter, FixedWidthWriter, schemaOf, type ColumnDef } from '@salesflow/batches';
import { DEFAULT_DECIMAL_PRECISION, warehouseTablesOf, type PipelineConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { datasets, type Lake, type Manifest } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';

/**
 * Lakes written before decimals were exact hold a declared decimal as a Parquet `double` and
 * `batch_ds` (and other declared day columns) as text. The pipeline's own steps promote those
 * where old and new partitions meet, but DuckDB, pyarrow and Spark give a glob of mixed files
 * the type of the first file. `upgradeLake` rewrites each such partition of the processed,
 * masked and curated zones with the declared types, so every engine reads one schema:
 *
 * - a double becomes DECIMAL(p,s) by its shortest decimal form, rounded half away from zero at
 *   the declared scale (19.99 stays 19.99; 0.30000000000000004 becomes 0.30), the same rule the
 *   steps apply when they promote;
 * - text YYYY-MM-DD becomes DATE.
 *
 * A rewritten partition keeps its producer, commit time and meta (plus `upgraded`), so the steps
 * see the same history (a dimension's latest snapshot stays the latest). Partitions already in
 * the declared types are left alone: running it twice rewrites nothing the second time.
 */

/** A column whose declared type an old partition may lack. */
interface Target {
  readonly kind: 'decimal' | 'date';
  readonly precision?: number;
  readonly scale?: number;
}

/** Dataset -> column -> declared decimal or date type. */
export type DeclaredTypes = ReadonlyMap<string, ReadonlyMap<string, Target>>;

/** The decimal and date columns the config declares, per processed, masked and curated dataset. */
export function declaredTypesOf(config: Pick<PipelineConfig, 'star_schema' | 'standardize'>): DeclaredTypes {
  const out = new Map<string, Map<string, Target>>();
  const add = (dataset: string, column: string, t: Target) => {
    let cols = out.get(dataset);
    if (!cols) out.set(dataset, (cols = new Map()));
    cols.set(column, t);
  };
  for (const [entity, spec] of Object.entries(config.standardize.entities)) {
    for (const [name, c] of Object.entries(spec.columns)) {
      const t: Target | undefined =
        c.type === 'decimal' ? { kind: 'decimal', precision: c.precision ?? DEFAULT_DECIMAL_PRECISION, scale: c.scale ?? 2 } : c.type === 'date' ? { kind: 'date' } : undefined;
      if (!t) continue;
      add(datasets.processed(entity), name, t);
      add(datasets.masked(entity), name, t);
    }
  }
  for (const table of warehouseTablesOf(config)) {
    for (const c of table.columns) {
      if (c.type === 'decimal') add(datasets.curated(table.name), c.name, { kind: 'decimal', precision: c.precision ?? DEFAULT_DECIMAL_PRECISION, scale: c.scale ?? 2 });
      else if (c.type === 'date') add(datasets.curated(table.name), c.name, { kind: 'date' });
    }
  }
  return out;
}

/** The columns of a partition stored in an older type than declared: double for a decimal, text for a date. */
export function columnsToUpgrade(schema: readonly ColumnDef[], declared: ReadonlyMap<string, Target>): string[] {
  return schema
    .filter((c) => {
      const t = declared.get(c.name);
      return (t?.kind === 'decimal' && c.kind === 'float64') || (t?.kind === 'date' && c.kind === 'string');
    })
    .map((c) => c.name);
}

export interface UpgradeSummary {
  readonly partitions_checked: number;
  /** Partitions rewritten (or, with dryRun, that would be), as "dataset dt=ds". */
  readonly partitions_upgraded: readonly string[];
  /** Per dataset, the columns whose type changed. */
  readonly columns: Readonly<Record<string, readonly string[]>>;
  readonly rows: number;
  readonly dry_run: boolean;
}

export interface UpgradeOptions {
  readonly runId: string;
  readonly dryRun?: boolean;
  readonly log?: Logger;
  /** Clock for the `upgraded.at` meta; injectable for tests. */
  readonly now?: () => Date;
}

const READ_BATCH_ROWS = 32_768;
const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Rewrites every partition whose stored types are older than the declared ones (see the file comment). */
export async function upgradeLake(lake: Lake, config: Pick<PipelineConfig, 'star_schema' | 'standardize'>, opts: UpgradeOptions): Promise<UpgradeSummary> {
  const declared = declaredTypesOf(config);
  const upgraded: string[] = [];
  const columns: Record<string, string[]> = {};
  let checked = 0;
  let rows = 0;
  for (const [dataset, types] of declared) {
    for (const ds of await lake.listPartitions(dataset)) {
      const manifest = await lake.readManifest(dataset, ds);
      if (!manifest) continue;
      checked++;
      const names = columnsToUpgrade(manifest.schema, types);
      if (names.length === 0) continue;
      upgraded.push(`${dataset} dt=${ds}`);
      columns[dataset] = [...new Set([...(columns[dataset] ?? []), ...names])];
      rows += manifest.rows;
      if (opts.dryRun) continue;
      await rewritePartition(lake, manifest, names, types, opts);
      opts.log?.info('partition upgraded to the declared types', { dataset, ds, columns: names, rows: manifest.rows });
    }
  }
  return { partitions_checked: checked, partitions_upgraded: upgraded, columns, rows, dry_run: opts.dryRun ?? false };
}

async function rewritePartition(lake: Lake, manifest: Manifest, names: readonly string[], types: ReadonlyMap<string, Target>, opts: UpgradeOptions): Promise<void> {
  const where = `${manifest.dataset} dt=${manifest.ds}`;
  const defs = manifest.schema.map((c): ColumnDef => {
    const t = names.includes(c.name) ? types.get(c.name) : undefined;
    if (t?.kind === 'decimal') return { ...c, kind: 'decimal', precision: t.precision, scale: t.scale };
    return t?.kind === 'date' ? { ...c, kind: 'date' } : c;
  });
  const schema = schemaOf(defs);
  const converted = new Map(schema.fields.filter((f) => names.includes(f.name)).map((f) => [f.name, f.type]));
  // The same schema for an empty partition, which has no batch to carry it.
  const writer = lake.openPartition({ dataset: manifest.dataset, ds: manifest.ds, step: manifest.producer.step, runId: manifest.producer.run_id, schema });
  let row = 0;
  try {
    for await (const batch of lake.readManifestBatches(manifest, { batchSize: READ_BATCH_ROWS })) {
      const fields = batch.schema.fields.map((f) => (converted.has(f.name) ? new arrow.Field(f.name, converted.get(f.name)!, f.nullable) : f));
      const children = batch.schema.fields.map((f, i) => {
        const to = converted.get(f.name);
        return to ? convertColumn(batch, f.name, to, where, row) : batch.getChildAt(i)!.data[0]!;
      });
      await writer.write(assembleBatch(new arrow.Schema(fields, batch.schema.metadata), children, batch.numRows));
      row += batch.numRows;
    }
    const at = (opts.now ?? (() => new Date()))().toISOString();
    await writer.commit(
      { ...(manifest.meta ?? {}), upgraded: { at, run_id: opts.runId, columns: names, from_schema_hash: manifest.schema_hash } },
      { committedAt: manifest.committed_at },
    );
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
}

/** One column of a batch in its declared type; a value that has no such form fails naming it. */
function convertColumn(batch: arrow.RecordBatch, name: string, to: arrow.DataType, where: string, firstRow: number): arrow.Data {
  const [read] = columnReaders(batch, [name]);
  const fail = (r: number, v: unknown, why: string) =>
    new BadInputError(`${where}: column ${name}, row ${firstRow + r + 1}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)} ${why}`, {
      context: { partition: where, column: name, row: firstRow + r + 1 },
      fix: 'correct the value in that partition (or re-run its day from raw), then run the upgrade again',
    });
  if (to instanceof arrow.Decimal) {
    const out = new DecimalWriter(to.precision, to.scale);
    for (let r = 0; r < batch.numRows; r++) {
      const v = read!(r);
      if (v === null || v === undefined) out.appendNull();
      else if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(r, v, `is not a finite number, so it has no DECIMAL(${to.precision},${to.scale}) form`);
      else {
        try {
          out.append(v);
        } catch (e) {
          throw fail(r, v, `does not fit DECIMAL(${to.precision},${to.scale}): ${(e as Error).message}`);
        }
      }
    }
    return out.finish();
  }
  const out = new FixedWidthWriter(new arrow.DateDay(), (n) => new Int32Array(n), (v) => v as number);
  for (let r = 0; r < batch.numRows; r++) {
    const v = read!(r);
    if (v === null || v === undefined) {
      out.appendNull();
      continue;
    }
    const m = typeof v === 'string' ? ISO_DAY.exec(v) : null;
    const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
    if (!m || new Date(ms).toISOString().slice(0, 10) !== v) throw fail(r, v, 'is not a date YYYY-MM-DD');
    out.append(ms / DAY_MS);
  }
  return out.finish();
}
