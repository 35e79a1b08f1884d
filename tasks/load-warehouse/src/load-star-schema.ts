import type { Knex } from 'knex';
import { columnReaders } from '@salesflow/batches';
import { recordOfModel, WAREHOUSE_MODEL_KEY } from '@salesflow/config';
import { BadInputError, ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, type Lake, type Manifest } from '@salesflow/lake';
import { startProgress, type Logger } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepResult } from '@salesflow/step';
import { applySchema } from './apply-schema';
import { buildInsertSql, quoteIdentifier, rowsPerInsert } from './build-insert-sql';
import { copyIntoPostgres } from './copy-into-postgres';
import { copyTextRow } from './copy-text';
import { copyTextColumns } from './copy-text-columns';
import { isLocalInfileRefused, loadDataIntoMysql } from './load-data-into-mysql';
import { createFactStage, dropFactStage, factStageName, mergeStagedFact, type FactMergeCounts } from './merge-fact-rows';
import { openWarehouse, warehouseTableUri } from './open-warehouse';
import { readPostgresIndexSet, type PostgresIndexSet } from './postgres-index-set';
import { toSqlValue, type SqlValue } from './to-sql-value';
import { WarehouseLoadError } from './warehouse-load-error';
import { DIMENSION_STATE_TABLE } from './warehouse-ddl';
import { warehouseTablesOf, type WarehouseDialect, type WarehouseTable } from './warehouse-tables';

/** The step whose curated partitions this step loads (named in "run it first" errors). */
const PRODUCER = 'build-star-schema';

/** What loadStarSchema needs from the step context. */
export type LoadStarSchemaContext = Pick<StepContext, 'ds' | 'lake' | 'log' | 'config'>;

export interface LoadStarSchemaOptions {
  /** An open warehouse to load into (the caller destroys it); default: openWarehouse(config.warehouse), destroyed at the end. */
  readonly db?: Knex;
  /** Rows per record batch read from the lake; default 65536. */
  readonly readBatchSize?: number;
  /** Called inside the transaction after each table is loaded; a throw rolls the whole load back (tests use it). */
  readonly afterTable?: (table: string, trx: Knex.Transaction) => void | Promise<void>;
  /**
   * PostgreSQL: whether the fact table's indexes and foreign keys are dropped before its rows go
   * in and built again after (rebuild), kept and maintained row by row (keep), or chosen by size
   * (auto, the default: rebuild when the other batches hold at most REBUILD_FACTOR times the new rows).
   */
  readonly factIndexes?: 'auto' | 'rebuild' | 'keep';
  /** How long a rebuild waits for queries to release the tables before keeping the indexes instead; default REBUILD_LOCK_WAIT_MS. */
  readonly rebuildLockWaitMs?: number;
}

/** A rebuild locks out readers, so it never queues behind a long query for more than this. */
const REBUILD_LOCK_WAIT_MS = 30_000;

/**
 * auto rebuilds the fact's indexes when the rows of other batches are at most this many times
 * the new ones. Maintaining an index or checking a foreign key row by row costs about 10 times
 * more per row than building the index or validating the key over the whole table (measured on
 * 1 M rows: 50 s of foreign key checks against 1.6 s of validation), so a rebuild pays off
 * while the table is up to several times the batch: the first loads and early backfills.
 */
const REBUILD_FACTOR = 4;

/** Rows read from the lake and written to the warehouse for one table. */
export interface TableLoadCount {
  readonly rowsIn: number;
  /** Rows of this table's partition the warehouse holds after the load (a fact: inserted + updated + unchanged). */
  readonly rowsOut: number;
  /** The fact: what the merge on the grain did with each row (see FactMergeCounts). */
  readonly merge?: FactMergeCounts;
  /** Wall time of this table's load. */
  readonly seconds: number;
  /** How the rows went in: copy (PostgreSQL COPY), load_data (MySQL LOAD DATA LOCAL INFILE) or insert. */
  readonly method: 'copy' | 'load_data' | 'insert';
  /** A dimension not loaded because the warehouse already holds a snapshot committed later. */
  readonly skipped?: boolean;
}

/**
 * Loads the curated star schema of ctx.ds into the warehouse in ONE transaction: every dimension
 * (the whole snapshot as of ds, every version of a type 2 one) is upserted by its surrogate key,
 * then the fact rows of ds's batch are merged on the fact's grain (mergeStagedFact): a grain an
 * older batch loaded moves to this batch, one a newer batch holds is left alone, and rows of this
 * batch it no longer carries go. Dimensions go first so the fact's foreign keys hold. Any failure, or the process
 * being killed, rolls everything back, so the warehouse is either fully at this ds's state or as
 * before; re-running a ds gives the same rows. The tables and columns come from the star_schema
 * config (warehouseTablesOf).
 * PostgreSQL gets the rows through COPY FROM STDIN into temporary tables, encoded column by
 * column (dimensions then upserted with one INSERT ... ON CONFLICT); while the other batches hold at most
 * REBUILD_FACTOR times the new fact rows (first loads, early backfills), the fact's indexes and
 * foreign keys are dropped before its insert and built again after it, in the same transaction:
 * the same declared table, every key validated over the whole table, much faster than row by
 * row, but with every table of the load locked up front, so readers wait until the commit.
 * MySQL's fact stage through LOAD DATA LOCAL INFILE (warehouse.mysql_bulk;
 * INSERTs when the server refuses it) and its dimensions, like SQLite's tables, through
 * multi-row INSERTs of warehouse.batch_size rows. Only one lake batch and one chunk of rows are
 * held in memory.
 */
export async function loadStarSchema(ctx: LoadStarSchemaContext, opts: LoadStarSchemaOptions = {}): Promise<StepResult> {
  const cfg = ctx.config.warehouse;
  const dialect: WarehouseDialect = cfg.client;
  const tables = warehouseTablesOf(ctx.config);
  // Every input is checked before the warehouse is touched: a missing partition changes nothing.
  const manifests = new Map<string, Manifest>();
  for (const table of tables) {
    const manifest = await ctx.lake.requireManifest(datasets.curated(table.name), ctx.ds, PRODUCER);
    assertColumns(table, manifest, ctx.lake);
    const extra = manifest.schema.map((c) => c.name).filter((n) => !table.columns.some((c) => c.name === n));
    if (extra.length) ctx.log.warn(`curated/${table.name} columns not in the warehouse table are not loaded`, { table: table.name, columns: extra });
    manifests.set(table.name, manifest);
  }

  const db = opts.db ?? openWarehouse(cfg);
  const counts = new Map<string, TableLoadCount>();
  try {
    const applied = await applySchema(db, dialect, tables);
    const { addTables, addColumns, widen } = applied.changes;
    ctx.log.info(`warehouse schema checked`, { client: dialect, statements: applied.statements, created: addTables, added: addColumns.map((a) => `${a.table}.${a.column.name}`), widened: widen.map((w) => `${w.table}.${w.column.name}`) });
    const factTable = tables.find((t) => t.kind === 'fact');
    const rebuild = dialect === 'postgres' && factTable ? await chooseFactRebuild(db, ctx, factTable, manifests.get(factTable.name)!, opts.factIndexes ?? 'auto') : false;
    await db.transaction(async (trx) => {
      // SQLite starts a transaction as a reader; when it then writes while another load holds the
      // write lock (a parallel backfill), SQLite fails at once with SQLITE_BUSY instead of waiting
      // out busy_timeout, because waiting could deadlock. A write as the first statement takes the
      // lock up front, waiting for the other load to commit.
      if (dialect === 'sqlite' && tables.length) await trx.raw('DELETE FROM ?? WHERE 0', [tables[0]!.name]);
      let factIndexes: PostgresIndexSet | undefined;
      if (rebuild) factIndexes = await lockForRebuild(trx, ctx.log, tables, opts.rebuildLockWaitMs ?? REBUILD_LOCK_WAIT_MS);
      for (const table of tables) {
        const loader = { trx, dialect, ds: ctx.ds, lake: ctx.lake, log: ctx.log, batchSize: cfg.batch_size, readBatchSize: opts.readBatchSize, mysqlBulk: cfg.mysql_bulk, factIndexes };
        counts.set(table.name, await loadTable(loader, table, manifests.get(table.name)!));
        await opts.afterTable?.(table.name, trx);
      }
    });
  } finally {
    if (!opts.db) await db.destroy();
  }
  // For setup's check of the next config, before any data moves (see compareWarehouseModels).
  await ctx.lake.writeJson(WAREHOUSE_MODEL_KEY, recordOfModel(tables, dialect, ctx.ds, new Date()));

  const inputs: DatasetRef[] = tables.map((t) => ({
    uri: ctx.lake.partitionUri(datasets.curated(t.name), ctx.ds),
    rows: manifests.get(t.name)!.rows,
  }));
  const outputs: DatasetRef[] = tables.map((t) => ({ uri: warehouseTableUri(cfg, t.name), rows: counts.get(t.name)!.rowsOut }));
  const total = (k: 'rowsIn' | 'rowsOut') => [...counts.values()].reduce((n, c) => n + c[k], 0);
  return Object.freeze({
    rowsIn: total('rowsIn'),
    rowsOut: total('rowsOut'),
    // Fact rows left to the newer batch that holds their grain.
    rowsDropped: [...counts.values()].reduce((n, c) => n + (c.merge?.superseded ?? 0), 0),
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
  readonly mysqlBulk: 'load_data' | 'insert';
  /** PostgreSQL: the fact's indexes and foreign keys, to drop before its rows go in and build after. */
  readonly factIndexes?: PostgresIndexSet;
}

/**
 * Locks every table of the load for a rebuild of the fact's indexes and returns them, or returns
 * undefined (indexes kept) when queries hold a table for longer than waitMs. Dropping a foreign
 * key locks the tables it references: all are locked up front, in one order, so two loads wait
 * for each other instead of deadlocking.
 */
async function lockForRebuild(trx: Knex.Transaction, log: Logger, tables: readonly WarehouseTable[], waitMs: number): Promise<PostgresIndexSet | undefined> {
  const fact = tables.find((t) => t.kind === 'fact')!;
  const set = await readPostgresIndexSet(trx, fact.name);
  const q = (n: string) => quoteIdentifier(n, 'postgres');
  const ours = [DIMENSION_STATE, ...tables.map((t) => t.name)];
  const locked = [...ours.map(q), ...set.referenced.filter((r) => !ours.includes(r))];
  await trx.raw('SAVEPOINT lock_for_rebuild');
  try {
    await trx.raw(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(waitMs))}`);
    await trx.raw(`LOCK TABLE ${locked.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    await trx.raw('SET LOCAL lock_timeout = DEFAULT');
    await trx.raw('RELEASE SAVEPOINT lock_for_rebuild');
    return set;
  } catch (e) {
    if ((e as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw e;
    await trx.raw('ROLLBACK TO SAVEPOINT lock_for_rebuild');
    log.warn(`${fact.name}: queries held the star schema's tables for over ${waitMs} ms: its indexes and foreign keys are kept and maintained row by row`, { table: fact.name });
    return undefined;
  }
}

/** SQLSTATE of a lock_timeout expiring. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Decides whether the PostgreSQL fact table's indexes are rebuilt for this load (see
 * REBUILD_FACTOR). Counts the rows of other batches up to the limit only, outside the load's
 * transaction so that no lock is held before the load locks its tables.
 */
async function chooseFactRebuild(db: Knex, ctx: LoadStarSchemaContext, table: WarehouseTable, manifest: Manifest, mode: 'auto' | 'rebuild' | 'keep'): Promise<boolean> {
  if (mode !== 'auto') return mode === 'rebuild';
  if (manifest.rows === 0) return false;
  const limit = REBUILD_FACTOR * manifest.rows + 1;
  const q = (n: string) => quoteIdentifier(n, 'postgres');
  const other = Number(
    (await db.raw(`SELECT count(*) AS n FROM (SELECT 1 FROM ${q(table.name)} WHERE batch_ds <> ? LIMIT ${limit}) s`, [ctx.ds])).rows[0].n,
  );
  const rebuild = other < limit;
  ctx.log.info(
    rebuild
      ? `${table.name}: other batches hold ${other} rows, at most ${REBUILD_FACTOR}x the ${manifest.rows} new ones: its indexes and foreign keys are dropped and rebuilt in the load's transaction (readers of the star schema wait until it commits)`
      : `${table.name}: other batches hold over ${REBUILD_FACTOR}x the ${manifest.rows} new rows: its indexes and foreign keys are kept and maintained row by row`,
    { table: table.name, otherRows: other, newRows: manifest.rows },
  );
  return rebuild;
}

async function loadTable(l: TableLoader, table: WarehouseTable, manifest: Manifest): Promise<TableLoadCount> {
  const started = Date.now();
  const progress = startProgress(l.log, `load ${table.name}`);
  const state = { rowsIn: 0 };
  let rowsOut: number;
  let merge: FactMergeCounts | undefined;
  let method: TableLoadCount['method'] = l.dialect === 'postgres' ? 'copy' : 'insert';
  const onRows = (n: number) => progress.add(n);
  try {
    if (table.kind === 'dimension' && !(await claimDimensionLoad(l, table, manifest))) {
      l.log.warn(`${table.name}: the warehouse holds a newer snapshot than ds ${l.ds}'s; its rows are kept`, { table: table.name });
      return Object.freeze({ rowsIn: 0, rowsOut: 0, seconds: 0, method, skipped: true });
    }
    if (table.kind === 'fact') {
      ({ merge, method } = await loadFact(l, table, manifest, state, onRows));
      rowsOut = merge.inserted + merge.updated + merge.unchanged;
      l.log.info(`${table.name}: ${merge.inserted} rows inserted, ${merge.updated} updated, ${merge.unchanged} unchanged, ${merge.superseded} left to a newer batch, ${merge.removed} removed`, { table: table.name, ...merge });
    } else if (l.dialect === 'postgres') rowsOut = await copyTable(l, table, () => copyTextChunks(l, table, manifest, state, onRows));
    else rowsOut = await insertTable(l, table, sqlRows(l, table, manifest, state), onRows);
  } catch (e) {
    throw e instanceof PipelineError ? e : new WarehouseLoadError(table.name, l.ds, l.dialect, e);
  }
  progress.done();
  const seconds = Math.round((Date.now() - started) / 10) / 100;
  return Object.freeze({ rowsIn: state.rowsIn, rowsOut, ...(merge ? { merge } : {}), seconds, method });
}

/**
 * The fact of ds: its curated rows into a stage table (PostgreSQL COPY, MySQL LOAD DATA LOCAL
 * INFILE or INSERTs, SQLite INSERTs), then merged into the fact on the grain (mergeStagedFact).
 * With l.factIndexes (PostgreSQL, first loads), the fact's indexes and foreign keys are dropped
 * once the merge has compared the rows, and built again after the insert, then ANALYZE.
 */
async function loadFact(
  l: TableLoader,
  table: WarehouseTable,
  manifest: Manifest,
  state: { rowsIn: number },
  onRows: (n: number) => void,
): Promise<{ merge: FactMergeCounts; method: TableLoadCount['method'] }> {
  const staged: WarehouseTable = { ...table, name: factStageName(table) };
  const names = table.columns.map((c) => c.name);
  let method: TableLoadCount['method'] = 'insert';
  await createFactStage(l.trx, l.dialect, table);
  if (l.dialect === 'postgres') {
    const q = (n: string) => quoteIdentifier(n, 'postgres');
    await copyIntoPostgres(l.trx, `COPY ${q(staged.name)} (${names.map(q).join(', ')}) FROM STDIN`, copyTextChunks(l, table, manifest, state, onRows));
    method = 'copy';
  } else if (l.dialect === 'mysql' && l.mysqlBulk !== 'insert') {
    try {
      await loadDataIntoMysql(l.trx, staged.name, names, textChunks(sqlRows(l, table, manifest, state), onRows));
      method = 'load_data';
    } catch (e) {
      if (!isLocalInfileRefused(e)) throw e;
      l.log.warn('the MySQL server refuses LOAD DATA LOCAL INFILE (local_infile=OFF): loading with INSERTs; set local_infile=ON for speed, or warehouse.mysql_bulk: insert to stop this warning', { table: table.name });
      state.rowsIn = 0;
      await insertTable(l, staged, sqlRows(l, table, manifest, state), onRows);
    }
  } else await insertTable(l, staged, sqlRows(l, table, manifest, state), onRows);

  const indexes = l.factIndexes;
  const dropIndexes = indexes
    ? async () => {
        for (const sql of indexes.drop) await l.trx.raw(sql);
      }
    : undefined;
  const merge = await mergeStagedFact(l.trx, l.dialect, table, l.ds, dropIndexes);
  if (indexes) {
    const q = (n: string) => quoteIdentifier(n, 'postgres');
    let at = Date.now();
    for (const sql of indexes.create) await l.trx.raw(sql);
    const built = (Date.now() - at) / 1000;
    at = Date.now();
    await l.trx.raw(`ANALYZE ${q(table.name)}`);
    l.log.info(`${table.name}: indexes and foreign keys built again`, { table: table.name, statements: indexes.create.length, seconds: built, analyzeSeconds: (Date.now() - at) / 1000 });
  }
  await dropFactStage(l.trx, l.dialect, table);
  return { merge, method };
}

/** Where the loader records which dimension snapshot each warehouse dimension holds. */
const DIMENSION_STATE = DIMENSION_STATE_TABLE;

/**
 * Dimension snapshots are cumulative (every version known when built), so the newest one loaded
 * wins: re-loading an old ds after newer ones (an Airflow clear, a backfill) must not put back
 * the valid_to and is_current of an older history. Records this snapshot as loaded and returns
 * true when it is at least as new as the one the warehouse holds; false otherwise. Runs in the
 * load's transaction, so the record commits or rolls back with the rows.
 */
async function claimDimensionLoad(l: TableLoader, table: WarehouseTable, manifest: Manifest): Promise<boolean> {
  const held = (await l.trx(DIMENSION_STATE).where({ table_name: table.name }).first()) as { committed_at?: string } | undefined;
  if (held?.committed_at && Date.parse(held.committed_at) > Date.parse(manifest.committed_at)) return false;
  const row = [table.name, l.ds, manifest.committed_at];
  await l.trx.raw(buildInsertSql(l.dialect, DIMENSION_STATE, ['table_name', 'ds', 'committed_at'], 1, { conflictKey: ['table_name'] }), row);
  return true;
}

/** The curated rows of a table as driver values in the table's column order; counts rows read in state. */
async function* sqlRows(l: TableLoader, table: WarehouseTable, manifest: Manifest, state: { rowsIn: number }): AsyncGenerator<SqlValue[]> {
  const names = table.columns.map((c) => c.name);
  const batchDs = table.kind === 'fact' ? names.indexOf('batch_ds') : -1;
  for await (const batch of l.lake.readManifestBatches(manifest, { columns: names, batchSize: l.readBatchSize })) {
    const readers = columnReaders(batch, names);
    for (let r = 0; r < batch.numRows; r++, state.rowsIn++) {
      const values: SqlValue[] = new Array(names.length);
      for (let c = 0; c < names.length; c++) {
        const column = table.columns[c]!;
        try {
          values[c] = toSqlValue(readers[c]!(r), column, l.dialect);
        } catch (e) {
          throw badValueError(l, table, state.rowsIn, column.name, (e as Error).message);
        }
      }
      if (batchDs >= 0 && values[batchDs] !== l.ds) throw otherBatchError(l, table, state.rowsIn, String(values[batchDs]));
      yield values;
    }
  }
}

function badValueError(l: TableLoader, table: WarehouseTable, row: number, column: string, message: string): BadInputError {
  return new BadInputError(`${table.name}.${column} of row ${row}: ${message}`, {
    context: { table: table.name, ds: l.ds, row, column },
    fix: `re-run build-star-schema for --ds ${l.ds}`,
  });
}

/** A row of another batch here would be merged as this batch's and move there. */
function otherBatchError(l: TableLoader, table: WarehouseTable, row: number, batchDs: string): BadInputError {
  return new BadInputError(`fact row ${row} of curated/${table.name} dt=${l.ds} has batch_ds ${batchDs}`, {
    context: { table: table.name, ds: l.ds, row },
    fix: `a fact partition holds only its own ds's batch: re-run build-star-schema for --ds ${l.ds}`,
  });
}

/**
 * PostgreSQL: the curated rows of a table as chunks of COPY text, encoded column by column per
 * lake batch (copyTextColumns); counts rows read in state.
 */
async function* copyTextChunks(l: TableLoader, table: WarehouseTable, manifest: Manifest, state: { rowsIn: number }, onRows: (n: number) => void): AsyncGenerator<string> {
  const names = table.columns.map((c) => c.name);
  const batchDs = table.kind === 'fact' ? names.indexOf('batch_ds') : -1;
  for await (const batch of l.lake.readManifestBatches(manifest, { columns: names, batchSize: l.readBatchSize })) {
    const { columns, problem } = copyTextColumns(batch, table.columns);
    if (problem) throw badValueError(l, table, state.rowsIn + problem.row, problem.column, problem.message);
    if (batchDs >= 0) {
      const ds = columns[batchDs]!;
      for (let r = 0; r < ds.length; r++) if (ds[r] !== l.ds) throw otherBatchError(l, table, state.rowsIn + r, ds[r] === '\\N' ? 'null' : ds[r]!);
    }
    const last = columns.length - 1;
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const end = Math.min(batch.numRows, start + CHUNK_ROWS);
      let text = '';
      for (let r = start; r < end; r++) {
        for (let c = 0; c < last; c++) text += columns[c]![r] + '\t';
        text += columns[last]![r] + '\n';
      }
      yield text;
      onRows(end - start);
    }
    state.rowsIn += batch.numRows;
  }
}

/** Rows per chunk handed to COPY or LOAD DATA: large enough that stream overhead vanishes, small enough to stay a few MB. */
const CHUNK_ROWS = 2048;

/** Rows as chunks of COPY text lines (also what MySQL's LOAD DATA reads with its default escapes). */
async function* textChunks(rows: AsyncIterable<SqlValue[]>, onRows: (n: number) => void): AsyncGenerator<string> {
  let text = '';
  let n = 0;
  for await (const values of rows) {
    text += copyTextRow(values);
    if (++n === CHUNK_ROWS) {
      yield text;
      onRows(n);
      text = '';
      n = 0;
    }
  }
  if (n) {
    yield text;
    onRows(n);
  }
}

/**
 * PostgreSQL: a dimension into a temporary table by COPY, then upserted with one
 * INSERT ... ON CONFLICT that leaves unchanged rows alone.
 */
async function copyTable(l: TableLoader, table: WarehouseTable, chunks: () => AsyncIterable<string>): Promise<number> {
  const q = (n: string) => quoteIdentifier(n, 'postgres');
  const names = table.columns.map((c) => q(c.name)).join(', ');
  const stage = q(`_stage_${table.name}`);
  await l.trx.raw(`CREATE TEMPORARY TABLE ${stage} (LIKE ${q(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP`);
  const copied = await copyIntoPostgres(l.trx, `COPY ${stage} (${names}) FROM STDIN`, chunks());
  const others = table.columns.filter((c) => !table.key.includes(c.name)).map((c) => q(c.name));
  const updates = others.map((c) => `${c} = excluded.${c}`);
  // Rewriting an unchanged row only makes a dead tuple: a re-run or a quiet day updates nothing.
  const changed = others.length ? ` WHERE (${others.map((c) => `cur.${c}`).join(', ')}) IS DISTINCT FROM (${others.map((c) => `excluded.${c}`).join(', ')})` : '';
  await l.trx.raw(
    `INSERT INTO ${q(table.name)} AS cur (${names}) SELECT ${names} FROM ${stage} ` +
      `ON CONFLICT (${table.key.map(q).join(', ')}) ${updates.length ? `DO UPDATE SET ${updates.join(', ')}${changed}` : 'DO NOTHING'}`,
  );
  return copied;
}

/** SQLite and MySQL: multi-row INSERTs (dimensions as upserts) of warehouse.batch_size rows. */
async function insertTable(l: TableLoader, table: WarehouseTable, rows: AsyncIterable<SqlValue[]>, onRows: (n: number) => void): Promise<number> {
  const names = table.columns.map((c) => c.name);
  const perInsert = rowsPerInsert(l.dialect, names.length, l.batchSize);
  const upsert = table.kind === 'dimension' ? { conflictKey: table.key } : undefined;
  const fullSql = buildInsertSql(l.dialect, table.name, names, perInsert, upsert);
  let pending: SqlValue[] = [];
  let pendingRows = 0;
  let rowsOut = 0;
  const flush = async () => {
    if (pendingRows === 0) return;
    const sql = pendingRows === perInsert ? fullSql : buildInsertSql(l.dialect, table.name, names, pendingRows, upsert);
    await l.trx.raw(sql, pending);
    rowsOut += pendingRows;
    onRows(pendingRows);
    pending = [];
    pendingRows = 0;
  };
  for await (const values of rows) {
    for (let c = 0; c < values.length; c++) pending.push(values[c]!);
    if (++pendingRows === perInsert) await flush();
  }
  await flush();
  return rowsOut;
}

/** Throws BadInputError unless the curated partition has every column the warehouse table needs. */
function assertColumns(table: WarehouseTable, manifest: Manifest, lake: Lake): void {
  const have = new Set(manifest.schema.map((c) => c.name));
  const missing = table.columns.map((c) => c.name).filter((n) => !have.has(n));
  if (missing.length) {
    throw new BadInputError(`curated/${table.name} dt=${manifest.ds} lacks column(s) ${missing.join(', ')} of the warehouse table`, {
      context: { table: table.name, ds: manifest.ds, uri: lake.partitionUri(manifest.dataset, manifest.ds) },
      fix: `the curated partition was built from another star_schema: re-run build-star-schema for --ds ${manifest.ds}`,
    });
  }
}
