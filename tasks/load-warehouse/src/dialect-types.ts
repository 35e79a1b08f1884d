import type { WarehouseColumn, WarehouseColumnType, WarehouseDialect } from '@salesflow/config';

/**
 * One type table per dialect, as dlt's TypeMapper: unbound types by name, decimals bound to
 * their precision and scale. The DDL, the migrations' type comparisons and the docs read these;
 * no SQL file per dialect repeats them.
 *
 * - PostgreSQL: TIMESTAMPTZ holds an instant (shown in the session's TimeZone).
 * - MySQL/MariaDB: DATETIME(3) holds UTC (the loader writes UTC; DATETIME has no zone); BOOLEAN is TINYINT(1).
 * - SQLite: type names give affinities only; decimals are stored as REAL rounded to their scale
 *   by the loader, dates as 'YYYY-MM-DD', timestamps as UTC 'YYYY-MM-DD HH:MM:SS.SSS', booleans 0/1.
 */
const TYPES: Readonly<Record<WarehouseDialect, Readonly<Record<Exclude<WarehouseColumnType, 'decimal'>, string>>>> = {
  postgres: { text: 'VARCHAR(255)', int: 'INTEGER', bigint: 'BIGINT', float: 'DOUBLE PRECISION', date: 'DATE', timestamp: 'TIMESTAMPTZ', bool: 'BOOLEAN' },
  mysql: { text: 'VARCHAR(255)', int: 'INT', bigint: 'BIGINT', float: 'DOUBLE', date: 'DATE', timestamp: 'DATETIME(3)', bool: 'TINYINT(1)' },
  sqlite: { text: 'VARCHAR(255)', int: 'INTEGER', bigint: 'BIGINT', float: 'REAL', date: 'DATE', timestamp: 'TIMESTAMP', bool: 'BOOLEAN' },
};

/** The DDL type of a column in a dialect, e.g. DECIMAL(12,2) or TIMESTAMPTZ. */
export function sqlTypeOf(column: WarehouseColumn, dialect: WarehouseDialect): string {
  if (column.type === 'decimal') return `DECIMAL(${column.precision ?? 18},${column.scale ?? 2})`;
  return TYPES[dialect][column.type];
}
