import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { runSql } from './run-sql';
import { resolveSqlDir } from './sql-dir';
import { splitSqlStatements } from './split-sql-statements';
import type { WarehouseDialect } from './warehouse-tables';

/** The DDL script of a dialect: <sql dir>/<dialect>/create_star_schema.sql. */
export function schemaFileOf(dialect: WarehouseDialect, sqlDir = resolveSqlDir()): string {
  return path.join(sqlDir, dialect, 'create_star_schema.sql');
}

/**
 * Creates the star schema's tables, indexes and view where missing by running the dialect's
 * create_star_schema.sql one statement at a time (drivers take one statement per call). Every
 * statement is idempotent, so this runs before each load. Returns the number of statements run.
 * MySQL commits implicitly around DDL, so this never runs inside the load's transaction.
 */
export async function applySchema(db: Knex, dialect: WarehouseDialect, opts: { sqlDir?: string } = {}): Promise<number> {
  const file = schemaFileOf(dialect, opts.sqlDir);
  const statements = splitSqlStatements(await readFile(file, 'utf8'), dialect);
  for (const sql of statements) {
    try {
      await runSql(db, dialect, sql);
    } catch (e) {
      const head = sql.split('\n')[0]!.slice(0, 80);
      throw new Error(`${path.basename(path.dirname(file))}/${path.basename(file)}: "${head}" failed: ${(e as Error).message}`, { cause: e });
    }
  }
  return statements.length;
}
