import type { Knex } from 'knex';
import { columnReaders } from '@salesflow/batches';
import { BadInputError, PipelineError } from '@salesflow/errors';
import { datasets, type Lake, type Manifest } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepResult } from '@salesflow/step';
import { applySchema } from './apply-schema';
import { buildInsertSql, rowsPerInsert } from './build-insert-sql';
import { openWarehouse, warehouseTableUri } from './open-warehouse';
import { toSqlValue, type SqlValue } from './to-sql-value';
import { WarehouseLoadError } from './warehouse-load-error';
import { WAREHOUSE_TABLES, type WarehouseDialect, type WarehouseTable } from './warehouse-tables';

/** The step whose curated partitions this step loads (named in "run it first" errors). */
const PRODUCER = 'build-star-schema';

/** What loadStarSchema needs from the step context. */
export type LoadStarSchemaContext = Pick<StepContext, 'ds' | 'lake' | 'log' | 'config'>;

export interface LoadStarSchemaOptions {
  /** An open warehouse to load into (the caller destroys it); default: openWarehouse(config.warehouse), destroyed at the end. */
  readonly db?: Knex;
  /** Folder holding <dialect>/create_star_schema.sql; default resolveSqlDir(). */
  readonly sqlDir?: string;
  /** Rows per record batch read from the lake; default 65536. */
  readonly readBatchSize?: number;
  /** Called inside the transaction after each table is loaded; a throw rolls the whole load back (tests use it). */
  readonly afterTable?: (table: string, trx: Knex.Transaction) => void | Promise<void>;
}

/** Rows read from the lake and written to the warehouse for one table. */
export interface TableLoadCount {
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** Fact rows of this ds that were in the warehouse before and were replaced. */
  readonly rowsReplaced?: number;
}

/**
 * Loads the curated star schema of ctx.ds into the warehouse in ONE transaction: every dimension
 * (the whole snapshot as of ds) is upserted by its surrogate key, then the fact rows of ds's batch
 * replace those already loaded for that batch_ds (other batches are untouched). Dimensions go
 * first so the fact's foreign keys hold. Any failure rolls everything back, so the warehouse is
 * either fully at this ds's state or as before; re-running a ds gives the same rows.
 * Fact rows stream through in INSERTs of warehouse.batch_size rows; only one lake batch and one
 * INSERT are held in memory.
 */
export async function loadStarSchema(ctx: LoadStarSchemaContext, opts: LoadStarSchemaOptions = {}): Promise<StepResult> {
  const cfg = ctx.config.warehouse;
  const dialect: WarehouseDialect = cfg.client;
  // Every input is checked before the warehouse is touched: a missing partition changes nothing.
  const manifests = new Map<string, Manifest>();
  for (const table of WAREHOUSE_TABLES) {
    const manifest = await ctx.lake.requireManifest(datasets.curated(table.name), ctx.ds, PRODUCER);
    assertColumns(table, manifest, ctx.lake);
    const extra = manifest.schema.map((c) => c.name).filter((n) => !table.columns.some((c) => c.name === n));
    if (extra.length) ctx.log.warn(`curated/${table.name} columns not in the warehouse table are not loaded`, { table: table.name, columns: extra });
    manifests.set(table.name, manifest);
  }

  const db = opts.db ?? openWarehouse(cfg);
  const counts = new Map<string, TableLoadCount>();
  try {
    const statements = await applySchema(db, dialect, { sqlDir: opts.sqlDir });
    ctx.log.info(`warehouse schema checked`, { client: dialect, statements });
    await db.transaction(async (trx) => {
      for (const table of WAREHOUSE_TABLES) {
        const loader = { trx, dialect, ds: ctx.ds, lake: ctx.lake, log: ctx.log, batchSize: cfg.batch_size, readBatchSize: opts.readBatchSize };
        counts.set(table.name, await loadTable(loader, table, manifests.get(table.name)!));
        await opts.afterTable?.(table.name, trx);
      }
    });
  } finally {
    if (!opts.db) await db.destroy();
  }

  const inputs: DatasetRef[] = WAREHOUSE_TABLES.map((t) => ({
    uri: ctx.lake.partitionUri(datasets.curated(t.name), ctx.ds),
    rows: manifests.get(t.name)!.rows,
  }));
  const outputs: DatasetRef[] = WAREHOUSE_TABLES.map((t) => ({ uri: warehouseTableUri(cfg, t.name), rows: counts.get(t.name)!.rowsOut }));
  const total = (k: 'rowsIn' | 'rowsOut') => [...counts.values()].reduce((n, c) => n + c[k], 0);
  return Object.freeze({
    rowsIn: total('rowsIn'),
    rowsOut: total('rowsOut'),
    inputs,
    outputs,
    metrics: { client: dialect, tables: Object.fromEntries(counts) },
  });
}

interface TableLoader {
  readonly trx: Knex.Transaction;
  readonly dialect: WarehouseDialect;
  readonly ds: string;
  readonly lake: Lake;
  readonly log: Logger;
  readonly batchSize: number;
  readonly readBatchSize?: number;
}

async function loadTable(l: TableLoader, table: WarehouseTable, manifest: Manifest): Promise<TableLoadCount> {
  const names = table.columns.map((c) => c.name);
  const perInsert = rowsPerInsert(l.dialect, names.length, l.batchSize);
  const upsert = table.kind === 'dimension' ? { conflictKey: table.key } : undefined;
  const fullSql = buildInsertSql(l.dialect, table.name, names, perInsert, upsert);
  const progress = startProgress(l.log, `load ${table.name}`);
  let pending: SqlValue[] = [];
  let pendingRows = 0;
  let rowsIn = 0;
  let rowsOut = 0;
  let rowsReplaced: number | undefined;

  const flush = async () => {
    if (pendingRows === 0) return;
    const sql = pendingRows === perInsert ? fullSql : buildInsertSql(l.dialect, table.name, names, pendingRows, upsert);
    await l.trx.raw(sql, pending);
    rowsOut += pendingRows;
    progress.add(pendingRows);
    pending = [];
    pendingRows = 0;
  };

  try {
    if (table.kind === 'fact') {
      rowsReplaced = Number(await l.trx(table.name).where('batch_ds', l.ds).del());
    }
    for await (const batch of l.lake.readManifestBatches(manifest, { columns: names, batchSize: l.readBatchSize })) {
      const readers = columnReaders(batch, names);
      for (let r = 0; r < batch.numRows; r++, rowsIn++) {
        for (let c = 0; c < names.length; c++) {
          const column = table.columns[c]!;
          let value: SqlValue;
          try {
            value = toSqlValue(readers[c]!(r), column, l.dialect);
          } catch (e) {
            throw new BadInputError(`${table.name}.${column.name} of row ${rowsIn}: ${(e as Error).message}`, {
              context: { table: table.name, ds: l.ds, row: rowsIn, column: column.name },
              fix: `re-run build-star-schema for --ds ${l.ds}`,
            });
          }
          if (column.name === 'batch_ds' && value !== l.ds) {
            // A row of another batch here would survive the DELETE of its own ds and duplicate on re-runs.
            throw new BadInputError(`fact row ${rowsIn} of curated/${table.name} dt=${l.ds} has batch_ds ${String(value)}`, {
              context: { table: table.name, ds: l.ds, row: rowsIn },
              fix: `a fact partition holds only its own ds's batch: re-run build-star-schema for --ds ${l.ds}`,
            });
          }
          pending.push(value);
        }
        if (++pendingRows === perInsert) await flush();
      }
    }
    await flush();
  } catch (e) {
    throw e instanceof PipelineError ? e : new WarehouseLoadError(table.name, l.ds, l.dialect, e);
  }
  progress.done();
  return Object.freeze({ rowsIn, rowsOut, ...(rowsReplaced === undefined ? {} : { rowsReplaced }) });
}

/** Throws BadInputError unless the curated partition has every column the warehouse table needs. */
function assertColumns(table: WarehouseTable, manifest: Manifest, lake: Lake): void {
  const have = new Set(manifest.schema.map((c) => c.name));
  const missing = table.columns.map((c) => c.name).filter((n) => !have.has(n));
  if (missing.length) {
    throw new BadInputError(`curated/${table.name} dt=${manifest.ds} lacks column(s) ${missing.join(', ')} of the warehouse table`, {
      context: { table: table.name, ds: manifest.ds, uri: lake.partitionUri(manifest.dataset, manifest.ds) },
      fix: 'the curated tables and sql/<dialect>/create_star_schema.sql must have the same columns; re-run build-star-schema or update the DDL and the loader',
    });
  }
}
