import type { ColumnDef } from '@salesflow/batches';

export const DIM_DATE_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: 'date_key', kind: 'int32', nullable: false },
  { name: 'full_date', kind: 'date' },
  { name: 'day', kind: 'int32' },
  { name: 'day_of_week', kind: 'int32' },
  { name: 'day_name', kind: 'string' },
  { name: 'week_of_year', kind: 'int32' },
  { name: 'month', kind: 'int32' },
  { name: 'month_name', kind: 'string' },
  { name: 'quarter', kind: 'int32' },
  { name: 'year', kind: 'int32' },
  { name: 'is_weekend', kind: 'bool' },
]);

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Days since the epoch (UTC) of an epoch-ms instant. */
export function epochDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** YYYYMMDD of an epoch day, e.g. 20261126. */
export function dateKeyOfDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Epoch day of a YYYYMMDD key. */
export function dayOfDateKey(key: number): number {
  return epochDay(Date.UTC(Math.floor(key / 10000), Math.floor(key / 100) % 100 - 1, key % 100));
}

/** ISO 8601 week number (weeks start Monday; week 1 holds the year's first Thursday). */
export function isoWeek(day: number): number {
  const d = new Date(day * DAY_MS);
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date((day - dow + 3) * DAY_MS);
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const firstDow = (firstThursday.getUTCDay() + 6) % 7;
  return 1 + Math.round((thursday.getTime() - (firstThursday.getTime() - (firstDow - 3) * DAY_MS)) / (7 * DAY_MS));
}

/** One dim_date row (values in DIM_DATE_COLUMNS order) for an epoch day. */
export function dateRow(day: number): unknown[] {
  const d = new Date(day * DAY_MS);
  const dow = ((d.getUTCDay() + 6) % 7) + 1;
  const month = d.getUTCMonth() + 1;
  return [dateKeyOfDay(day), day * DAY_MS, d.getUTCDate(), dow, DAY_NAMES[dow - 1], isoWeek(day), month, MONTH_NAMES[month - 1], Math.ceil(month / 3), d.getUTCFullYear(), dow >= 6];
}

/** The unknown date member (-1), for facts whose date is missing. */
export function unknownDateRow(): unknown[] {
  return [-1, null, null, null, 'Unknown', null, null, 'Unknown', null, null, null];
}
