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
  { name: 'is_holiday', kind: 'bool' },
  { name: 'fiscal_year', kind: 'int32' },
  { name: 'fiscal_quarter', kind: 'int32' },
]);

/** What dim_date's calendar depends on (star_schema.dim_date). */
export interface CalendarOptions {
  /** "MM-DD" every year, "YYYY-MM-DD" once. */
  readonly holidays?: readonly string[];
  /** 1-12; the fiscal year is named after the calendar year it ends in. */
  readonly fiscalYearStartMonth?: number;
}

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

/** Fiscal year and quarter of a calendar month: with a start in July, July 2026 is FY2027 Q1. */
export function fiscalPeriod(year: number, month: number, startMonth = 1): { fiscalYear: number; fiscalQuarter: number } {
  const offset = (month - startMonth + 12) % 12;
  return { fiscalYear: startMonth === 1 || month < startMonth ? year : year + 1, fiscalQuarter: Math.floor(offset / 3) + 1 };
}

/** Makes the row function for a calendar: dateRow(day) gives values in DIM_DATE_COLUMNS order. */
export function calendar(opts: CalendarOptions = {}): (day: number) => unknown[] {
  const yearly = new Set(opts.holidays?.filter((h) => h.length === 5));
  const once = new Set(opts.holidays?.filter((h) => h.length === 10));
  const start = opts.fiscalYearStartMonth ?? 1;
  return (day) => {
    const d = new Date(day * DAY_MS);
    const dow = ((d.getUTCDay() + 6) % 7) + 1;
    const month = d.getUTCMonth() + 1;
    const year = d.getUTCFullYear();
    const iso = d.toISOString().slice(0, 10);
    const { fiscalYear, fiscalQuarter } = fiscalPeriod(year, month, start);
    return [
      dateKeyOfDay(day),
      day * DAY_MS,
      d.getUTCDate(),
      dow,
      DAY_NAMES[dow - 1],
      isoWeek(day),
      month,
      MONTH_NAMES[month - 1],
      Math.ceil(month / 3),
      year,
      dow >= 6,
      yearly.has(iso.slice(5)) || once.has(iso),
      fiscalYear,
      fiscalQuarter,
    ];
  };
}

/** One dim_date row of the default calendar (no holidays, fiscal year = calendar year). */
export function dateRow(day: number): unknown[] {
  return calendar()(day);
}

/** The unknown date member (-1), for facts whose date is missing. */
export function unknownDateRow(): unknown[] {
  return [-1, null, null, null, 'Unknown', null, null, 'Unknown', null, null, null, null, null, null];
}
