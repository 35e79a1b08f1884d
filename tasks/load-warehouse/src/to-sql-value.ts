import { decimalUnitsOf, formatDecimalUnits } from '@salesflow/batches';
import type { WarehouseColumn, WarehouseDialect } from './warehouse-tables';

/** A value a warehouse driver binds as-is. */
export type SqlValue = string | number | boolean | null;

/**
 * Converts a lake value (see @salesflow/batches ColumnKind: dates and timestamps are epoch ms,
 * int64 is bigint) into what the dialect's driver binds for the column. Throws a plain Error
 * naming the problem when the value cannot be written; the caller adds table and row.
 */
export function toSqlValue(value: unknown, column: WarehouseColumn, dialect: WarehouseDialect): SqlValue {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'text':
      return typeof value === 'string' ? value : String(value);
    case 'int':
      return toInteger(value);
    case 'bigint':
      // As digits: a BIGINT beyond 2^53 would lose its last digits as a JS number.
      return toBigIntText(value);
    case 'decimal':
      return toDecimalText(value, column.scale ?? 2);
    case 'float':
      return toFiniteNumber(value);
    case 'date':
      return toSqlDate(value);
    case 'timestamp':
      return toSqlTimestamp(value, dialect);
    case 'bool': {
      const b = typeof value === 'boolean' ? value : Boolean(Number(value));
      // better-sqlite3 cannot bind booleans; MySQL's BOOLEAN is TINYINT(1).
      return dialect === 'postgres' ? b : b ? 1 : 0;
    }
  }
}

function toFiniteNumber(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new Error(`${String(value)} is not a finite number`);
  return n;
}

/**
 * A decimal as its digits at the column's scale ("12.50"), so NUMERIC/DECIMAL columns get the exact
 * value: the lake's digit text as is, a number (a lake written before decimals were exact) by its
 * shortest decimal form; both rounded half away from zero, as the warehouses round into DECIMAL(p, s).
 */
function toDecimalText(value: unknown, scale: number): string {
  const units = decimalUnitsOf(value, scale);
  if (units === undefined) throw new Error(`${String(value)} is not a finite number`);
  return formatDecimalUnits(units, scale);
}

function toInteger(value: unknown): number {
  const n = toFiniteNumber(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${String(value)} is not an integer the warehouse column can hold`);
  return n;
}

function toBigIntText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  return String(toInteger(value));
}

/** 'YYYY-MM-DD' of an epoch-ms date (UTC), a Date, or a string already in that form. */
export function toSqlDate(value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return isoOf(value).slice(0, 10);
}

/**
 * A UTC instant as each driver reads it unambiguously: PostgreSQL gets ISO 8601 with 'Z' for
 * TIMESTAMPTZ; MySQL's DATETIME(3) takes no zone suffix (MariaDB rejects one), so it gets
 * 'YYYY-MM-DD HH:MM:SS.SSS' in UTC; SQLite stores that same text, which its date functions read.
 */
export function toSqlTimestamp(value: unknown, dialect: WarehouseDialect): string {
  const iso = isoOf(value);
  return dialect === 'postgres' ? iso : iso.slice(0, 23).replace('T', ' ');
}

function isoOf(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(ms)) throw new Error(`${String(value)} is not a date or timestamp (epoch milliseconds)`);
  return new Date(ms).toISOString();
}
