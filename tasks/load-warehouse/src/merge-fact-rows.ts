import type { Knex } from 'knex';
import { quoteIdentifier } from './build-insert-sql';
import type { WarehouseDialect, WarehouseTable } from './warehouse-tables';

/**
 * The fact is merged on its grain, not inserted: a batch's rows go into a stage table first,
 * then, in the load's transaction, each row is compared with the warehouse by its grain
 * (star_schema.fact.grain, the fact table's primary key). Counts of one fact load:
 */
export interface FactMergeCounts {
  /** Grains the warehouse did not hold. */
  readonly inserted: number;
  /** Grains held with other values, or by an older batch: replaced by this batch's row (it moves to this batch). */
  readonly updated: number;
  /** Rows the warehouse already holds exactly (a re-run): left alone. */
  readonly unchanged: number;
  /** Rows whose grain a newer batch holds: left alone, so an old ds loaded late never brings back an older version. */
  readonly superseded: number;
  /** Rows of this batch in the warehouse that the batch no longer carries (a re-run of a changed batch): deleted. */
  readonly removed: number;
}

/** Name of the stage table of a fact (temporary: private to the load's connection). */
export function factStageName(table: WarehouseTable): string {
  return `_stage_${table.name}`;
}

/**
 * Creates the empty stage table for a fact load, of the fact's columns and types, without its
 * foreign keys and indexes (so loading it is a plain append). Temporary tables outlive a commit
 * on a pooled MySQL or SQLite connection, so a leftover one is dropped first.
 */
export async function createFactStage(trx: Knex.Transaction, dialect: WarehouseDialect, table: WarehouseTable): Promise<void> {
  const q = (n: string) => quoteIdentifier(n, dialect);
  const stage = q(factStageName(table));
  if (dialect === 'postgres') {
    await trx.raw(`CREATE TEMPORARY TABLE ${stage} (LIKE ${q(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP`);
  } else if (dialect === 'mysql') {
    await trx.raw(`DROP TEMPORARY TABLE IF EXISTS ${stage}`);
    // The grain as primary key: the merge's joins probe it, and a batch that repeats a grain fails
    // here. Declared in the CREATE: an ALTER TABLE, even of a temporary table, commits the load's transaction.
    await trx.raw(`CREATE TEMPORARY TABLE ${stage} (PRIMARY KEY (${table.key.map(q).join(', ')})) ENGINE=InnoDB AS SELECT * FROM ${q(table.name)} WHERE 1 = 0`);
  } else {
    await trx.raw(`DROP TABLE IF EXISTS temp.${stage}`);
    await trx.raw(`CREATE TEMPORARY TABLE ${stage} AS SELECT * FROM main.${q(table.name)} WHERE 0`);
  }
}

/** Drops the stage table (PostgreSQL drops it at commit by itself). */
export async function dropFactStage(trx: Knex.Transaction, dialect: WarehouseDialect, table: WarehouseTable): Promise<void> {
  const stage = quoteIdentifier(factStageName(table), dialect);
  if (dialect === 'mysql') await trx.raw(`DROP TEMPORARY TABLE IF EXISTS ${stage}`);
  else if (dialect === 'sqlite') await trx.raw(`DROP TABLE IF EXISTS temp.${stage}`);
}

/** Rows a DELETE or INSERT changed, from each driver's raw result. */
function changedRows(dialect: WarehouseDialect, result: unknown): number {
  if (dialect === 'postgres') return Number((result as { rowCount?: number }).rowCount ?? 0);
  if (dialect === 'mysql') return Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);
  return Number((result as { changes?: number }).changes ?? 0);
}

/**
 * Merges the staged rows of batch ds into the fact table, in the caller's transaction, and
 * returns what happened to each row. Every statement compares by grain only, so a re-run of any
 * ds, in any order, leaves the same table:
 *  1. staged rows whose grain a NEWER batch holds are dropped from the stage (superseded);
 *  2. rows of this batch the stage no longer carries are deleted (removed);
 *  3. staged rows equal to the warehouse row, column for column, are dropped from the stage (unchanged);
 *  4. warehouse rows with a staged grain are deleted (updated: older batches' versions, or changed values);
 *  5. the rest of the stage is inserted (updated + inserted).
 * beforeInsert runs between 4 and 5 (PostgreSQL drops the fact's indexes there for a rebuild).
 * The stage is left empty of nothing: the caller drops it.
 */
export async function mergeStagedFact(
  trx: Knex.Transaction,
  dialect: WarehouseDialect,
  table: WarehouseTable,
  ds: string,
  beforeInsert?: () => Promise<void>,
): Promise<FactMergeCounts> {
  const q = (n: string) => quoteIdentifier(n, dialect);
  const fact = q(table.name);
  const stage = q(factStageName(table));
  const onGrain = (a: string, b: string) => table.key.map((g) => `${a}.${q(g)} = ${b}.${q(g)}`).join(' AND ');
  const same = dialect === 'postgres' ? 'IS NOT DISTINCT FROM' : dialect === 'mysql' ? '<=>' : 'IS';
  const others = table.columns.filter((c) => !table.key.includes(c.name)).map((c) => q(c.name));
  const run = async (sql: string, bindings: readonly string[] = []) => changedRows(dialect, await trx.raw(sql, [...bindings]));

  if (dialect === 'postgres') await trx.raw(`ANALYZE ${stage}`);
  if (dialect === 'sqlite') await trx.raw(`CREATE UNIQUE INDEX temp.${q(`${factStageName(table)}_grain`)} ON ${stage} (${table.key.map(q).join(', ')})`);
  const superseded = await run(`DELETE FROM ${stage} WHERE EXISTS (SELECT 1 FROM ${fact} WHERE ${onGrain(fact, stage)} AND ${fact}.${q('batch_ds')} > ?)`, [ds]);
  const removed = await run(`DELETE FROM ${fact} WHERE ${fact}.${q('batch_ds')} = ? AND NOT EXISTS (SELECT 1 FROM ${stage} WHERE ${onGrain(stage, fact)})`, [ds]);
  const equal = others.map((c) => `${fact}.${c} ${same} ${stage}.${c}`);
  const unchanged = await run(`DELETE FROM ${stage} WHERE EXISTS (SELECT 1 FROM ${fact} WHERE ${[onGrain(fact, stage), ...equal].join(' AND ')})`);
  const updated = await run(`DELETE FROM ${fact} WHERE EXISTS (SELECT 1 FROM ${stage} WHERE ${onGrain(stage, fact)})`);
  await beforeInsert?.();
  const names = table.columns.map((c) => q(c.name)).join(', ');
  const written = await run(`INSERT INTO ${fact} (${names}) SELECT ${names} FROM ${stage}`);
  return Object.freeze({ inserted: written - updated, updated, unchanged, superseded, removed });
}
