import type { WarehouseDialect } from './warehouse-tables';

/** Most bound parameters one statement may carry (SQLite's SQLITE_MAX_VARIABLE_NUMBER; pg's and MySQL's prepared-statement limit). */
const MAX_PARAMETERS: Readonly<Record<WarehouseDialect, number>> = { sqlite: 32_766, postgres: 65_535, mysql: 65_535 };

/** Rows per INSERT: the configured batch size, capped so rows x columns stays under the dialect's parameter limit. */
export function rowsPerInsert(dialect: WarehouseDialect, columns: number, batchSize: number): number {
  return Math.max(1, Math.min(batchSize, Math.floor(MAX_PARAMETERS[dialect] / Math.max(columns, 1))));
}

/** An identifier quoted for the dialect (our names are plain, but day/month/year are keywords somewhere). */
export function quoteIdentifier(name: string, dialect: WarehouseDialect): string {
  return dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/**
 * A multi-row `INSERT ... VALUES (?, ...), (...)` with `?` placeholders, optionally an upsert on
 * `conflictKey` that overwrites every other column. Written by hand rather than with knex's
 * insert(): knex builds SQLite multi-row inserts as `SELECT ... UNION ALL SELECT ...`, which
 * SQLite refuses beyond 500 rows ("too many terms in compound SELECT").
 * MySQL's ON DUPLICATE KEY fires on any unique key, not only conflictKey: a natural key that
 * changed its surrogate key updates the old row there, where SQLite and PostgreSQL fail.
 */
export function buildInsertSql(
  dialect: WarehouseDialect,
  table: string,
  columns: readonly string[],
  rows: number,
  upsert?: { readonly conflictKey: readonly string[] },
): string {
  const q = (n: string) => quoteIdentifier(n, dialect);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let sql = `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
  if (upsert) {
    const updated = columns.filter((c) => !upsert.conflictKey.includes(c));
    if (dialect === 'mysql') {
      // VALUES(col) is deprecated from MySQL 8.0.20 (a warning) but is the one form MariaDB also accepts.
      sql += ` ON DUPLICATE KEY UPDATE ${updated.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`;
    } else {
      sql += ` ON CONFLICT (${upsert.conflictKey.map(q).join(', ')}) DO UPDATE SET ${updated.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`;
    }
  }
  return sql;
}
