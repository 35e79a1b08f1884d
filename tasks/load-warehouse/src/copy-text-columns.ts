import type * as arrow from 'apache-arrow';
import { columnReaders } from '@salesflow/batches';
import { copyTextValue } from './copy-text';
import { toSqlValue } from './to-sql-value';
import type { WarehouseColumn } from './warehouse-tables';

/** A value that cannot be written to its column: which row of the batch, which column, and why. */
export interface CopyTextProblem {
  readonly row: number;
  readonly column: string;
  readonly message: string;
}

/**
 * The values of a record batch as PostgreSQL COPY text, column by column: out[c][r] is the text
 * of row r in columns[c] (\N for null). It writes what toSqlValue then copyTextValue would write,
 * without building a row of driver values per row (the load's hot path at millions of rows):
 * - decimal: the lake's digit text as is; PostgreSQL rounds more digits than the column's scale
 *   half away from zero, exactly as toSqlValue does for the other dialects;
 * - date and timestamp: ISO text built from a per-day cache instead of a Date per value.
 * Any value off these fast paths goes through toSqlValue. Returns the first bad value as a
 * problem instead of throwing, so the caller can name the table and the row in the lake.
 */
export function copyTextColumns(batch: arrow.RecordBatch, columns: readonly WarehouseColumn[]): { readonly columns: string[][]; readonly problem?: CopyTextProblem } {
  const readers = columnReaders(
    batch,
    columns.map((c) => c.name),
  );
  const out: string[][] = [];
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    const read = readers[c]!;
    const encode = encoderOf(column);
    const texts: string[] = new Array(batch.numRows);
    let r = 0;
    try {
      for (; r < batch.numRows; r++) texts[r] = encode(read(r));
    } catch (e) {
      return { columns: out, problem: { row: r, column: column.name, message: (e as Error).message } };
    }
    out.push(texts);
  }
  return { columns: out };
}

type Encoder = (v: unknown) => string;

const NULL = '\\N';
const slow = (column: WarehouseColumn): Encoder => (v) => copyTextValue(toSqlValue(v, column, 'postgres'));
const needsEscape = /[\\\t\n\r]/;
const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;

function encoderOf(column: WarehouseColumn): Encoder {
  const fallback = slow(column);
  switch (column.type) {
    case 'text':
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'string' && !needsEscape.test(v) ? v : fallback(v));
    case 'int':
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : fallback(v));
    case 'bigint':
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)) ? String(v) : fallback(v));
    case 'decimal':
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'string' && PLAIN_DECIMAL.test(v) ? v : fallback(v));
    case 'float':
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'number' && Number.isFinite(v) ? String(v) : fallback(v));
    case 'bool':
      return (v) => (v === null || v === undefined ? NULL : v === true ? 't' : v === false ? 'f' : fallback(v));
    case 'date': {
      const days = new DayCache();
      return (v) => (v === null || v === undefined ? NULL : typeof v === 'number' && Number.isInteger(v) && v % DAY_MS === 0 ? days.date(v / DAY_MS) : fallback(v));
    }
    case 'timestamp': {
      const days = new DayCache();
      return (v) => {
        if (v === null || v === undefined) return NULL;
        if (typeof v !== 'number' || !Number.isInteger(v)) return fallback(v);
        const day = Math.floor(v / DAY_MS);
        const prefix = days.timestampPrefix(day);
        return prefix === undefined ? fallback(v) : prefix + timeOfDay(v - day * DAY_MS);
      };
    }
  }
}

const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' of recent days by epoch day: a few hundred distinct days in a batch, each formatted once. */
class DayCache {
  private readonly dates = new Map<number, string>();

  date(day: number): string {
    let s = this.dates.get(day);
    if (s === undefined) {
      s = new Date(day * DAY_MS).toISOString().slice(0, 10);
      if (this.dates.size > 100_000) this.dates.clear();
      this.dates.set(day, s);
    }
    return s;
  }

  /** 'YYYY-MM-DDT' for years 0000-9999 (what toISOString writes in 4 digits), else undefined. */
  timestampPrefix(day: number): string | undefined {
    if (day < MIN_DAY || day > MAX_DAY) return undefined;
    return this.date(day) + 'T';
  }
}

/** Epoch days of 0000-01-01 and 9999-12-31. */
const MIN_DAY = -719_528;
const MAX_DAY = 2_932_896;

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** 'HH:MM:SS.mmmZ' of milliseconds into a day, as toISOString writes it. */
function timeOfDay(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const milli = ms % 1000;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
