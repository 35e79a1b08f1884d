import type { Knex } from 'knex';
import type { WarehouseDialect } from './warehouse-tables';

/**
 * Runs one statement with no bindings and returns its rows in one shape for every driver.
 * knex's pg client turns every "?" into a $n placeholder even without bindings, so on
 * PostgreSQL each "?" is escaped to stay literal.
 */
export async function runSql(db: Knex | Knex.Transaction, dialect: WarehouseDialect, sql: string): Promise<Record<string, unknown>[]> {
  const text = dialect === 'postgres' ? sql.replace(/\?/g, '\\?') : sql;
  const result: unknown = await db.raw(text);
  return rowsOf(result, dialect);
}

/** Rows of a knex.raw result: pg gives {rows}, mysql2 [rows, fields], better-sqlite3 the rows. */
export function rowsOf(result: unknown, dialect: WarehouseDialect): Record<string, unknown>[] {
  if (dialect === 'postgres') return ((result as { rows?: Record<string, unknown>[] }).rows ?? []).map((r) => ({ ...r }));
  if (dialect === 'mysql') {
    const rows = (result as unknown[])[0];
    return Array.isArray(rows) ? rows.map((r) => ({ ...(r as Record<string, unknown>) })) : [];
  }
  return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
}
