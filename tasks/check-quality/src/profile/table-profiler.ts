import * as arrow from 'apache-arrow';
import type { ColumnDef } from '@salesflow/batches';
import { isNullAt, nullBitsOf, unitsAt } from '@salesflow/batches';
import { keyReaderOf } from '../checks/column-values';
import { hashUtf8, HyperLogLog, UTF8_CHARS } from './hyperloglog';
import { QuantileSketch } from './quantile-sketch';
import { TopValues } from './top-values';

/** HyperLogLog precision of every distinct count: 16 KiB per column, 0.81% standard error. */
export const HLL_PRECISION = 14;
/** KLL k of every quantile sketch: about 1.7% rank error at 99% confidence. */
export const QUANTILE_K = 200;
/** Misra-Gries counters per column; a column with more distinct values shows no top values. */
export const TOP_VALUE_COUNTERS = 100;
/** Columns with more distinct values than this are not low-cardinality: no top values shown. */
export const TOP_VALUES_MAX_DISTINCT = 1000;
/** Top values kept in a profile. */
export const TOP_VALUES_SHOWN = 10;
/** The ranks reported as quantiles. */
export const QUANTILES = Object.freeze({ p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 });

/** A value in a profile: numbers as numbers, dates and timestamps as ISO text. */
export type ProfileValue = number | string;

/** One column's profile, as stored in quality/dt=<ds>/profiles.json. */
export interface ColumnProfile {
  readonly name: string;
  /** The manifest's column kind (string, int32, decimal, date, ...). */
  readonly kind: string;
  readonly nulls: number;
  readonly null_pct: number;
  /** Strings that are "" (strings only). */
  readonly empty?: number;
  readonly empty_pct?: number;
  /** Distinct non-null values, estimated by HyperLogLog (exact when top values are exact). */
  readonly distinct: number;
  /** Numbers, dates, timestamps: smallest, largest, mean and quantiles of the non-null values. */
  readonly min?: ProfileValue;
  readonly max?: ProfileValue;
  readonly mean?: ProfileValue;
  readonly quantiles?: Readonly<Record<keyof typeof QUANTILES, ProfileValue>>;
  /** Strings: lengths in characters (Unicode code points). */
  readonly length?: { readonly min: number; readonly mean: number; readonly max: number };
  /** Low-cardinality columns: the most frequent values, largest first. */
  readonly top_values?: readonly { readonly value: ProfileValue; readonly count: number }[];
  /** Whether top_values counts are exact (else lower bounds, short by at most top_values_error). */
  readonly top_values_exact?: boolean;
  readonly top_values_error?: number;
}

/** The profile of one partition. */
export interface DatasetProfile {
  /** Dataset path below the lake root, e.g. "curated/fact_sales". */
  readonly dataset: string;
  readonly ds: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

type Shape = 'number' | 'date' | 'timestamp' | 'string' | 'other';

function shapeOf(kind: string): Shape {
  if (kind === 'int32' || kind === 'int64' || kind === 'float64' || kind === 'decimal') return 'number';
  if (kind === 'date') return 'date';
  if (kind === 'timestamp') return 'timestamp';
  if (kind === 'string') return 'string';
  return 'other';
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Running state of one column: every field bounded whatever the row count. */
class ColumnAccumulator {
  rows = 0;
  nulls = 0;
  empty = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  lenMin = Infinity;
  lenMax = 0;
  lenSum = 0;
  readonly hll = new HyperLogLog(HLL_PRECISION);
  readonly quantiles: QuantileSketch | undefined;
  readonly top = new TopValues(TOP_VALUE_COUNTERS);
  readonly shape: Shape;
  /**
   * Whether values go into the HyperLogLog. Not while the top values count exactly (they then
   * give the exact distinct count, and the sketch is not read); when they stop, every value seen
   * so far has a counter, and those seed the sketch: its registers depend only on the set of
   * values, so it ends as if it had seen each one. A low-cardinality column skips the sketch;
   * a high-cardinality one leaves the top values within a few hundred rows.
   */
  private hllLive = false;
  /** Row values of the current batch as doubles (reused). */
  private numbers = new Float64Array(0);

  constructor(readonly def: ColumnDef) {
    this.shape = shapeOf(def.kind);
    this.quantiles = this.shape === 'number' || this.shape === 'date' || this.shape === 'timestamp' ? new QuantileSketch(QUANTILE_K) : undefined;
    this.top.onFirstRound = (values, keyed) => {
      this.hllLive = true;
      for (const v of values) this.hll.add(v);
      for (const k of keyed) this.hll.addHash(k.hi, k.lo);
    };
  }

  consume(data: arrow.Data): void {
    const n = data.length;
    this.rows += n;
    if (this.shape === 'string' && arrow.DataType.isUtf8(data.type)) return this.consumeUtf8(data);
    if (this.quantiles) {
      const xs = this.numbersOf(data);
      if (xs) return this.consumeNumbers(xs, n, nullBitsOf(data));
    }
    const read = readerOf(data);
    const hll = this.hll;
    const top = this.top;
    for (let i = 0; i < n; i++) {
      const v = read(i);
      if (v === null) {
        this.nulls++;
        continue;
      }
      if (this.quantiles) {
        this.addNumber(typeof v === 'number' ? v : Number(v));
        continue;
      }
      const live = this.hllLive;
      if (live) hll.add(v);
      top.add(v);
      if (!live && this.hllLive) hll.add(v); // v started the first round: the seed did not have it
      if (typeof v === 'string' && this.shape === 'string') this.addLength(codePoints(v));
    }
  }

  /** The non-null rows of a numeric batch, read from a Float64Array of its values. */
  private consumeNumbers(xs: Float64Array, n: number, nulls: ReturnType<typeof nullBitsOf>): void {
    for (let i = 0; i < n; i++) {
      if (nulls && isNullAt(nulls, i)) {
        this.nulls++;
        continue;
      }
      this.addNumber(xs[i]!);
    }
  }

  private addNumber(x: number): void {
    const live = this.hllLive;
    if (live) this.hll.add(x);
    if (this.top.tracked) {
      this.top.add(x);
      if (!live && this.hllLive) this.hll.add(x);
    }
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sum += x;
    this.quantiles!.add(x);
  }

  /**
   * A batch's values as doubles, as readerOf reads them (int64 and decimals as the nearest
   * double, dates and timestamps as epoch ms), straight from the typed arrays; undefined for
   * other layouts (which go through readerOf). Rows that are null hold anything.
   */
  private numbersOf(data: arrow.Data): Float64Array | undefined {
    const n = data.length;
    if (this.numbers.length < n) this.numbers = new Float64Array(n);
    const xs = this.numbers;
    const type = data.type;
    const values = data.values as unknown;
    if ((arrow.DataType.isInt(type) && type.bitWidth <= 32) || (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF)) {
      const v = values as Int32Array | Float64Array;
      for (let i = 0; i < n; i++) xs[i] = v[i]!;
    } else if (values instanceof BigInt64Array && (arrow.DataType.isInt(type) || (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MILLISECOND))) {
      for (let i = 0; i < n; i++) xs[i] = Number(values[i]!);
    } else if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.DAY && values instanceof Int32Array) {
      for (let i = 0; i < n; i++) xs[i] = values[i]! * 86_400_000;
    } else if (arrow.DataType.isDecimal(type) && values instanceof Uint32Array) {
      const pow = 10 ** type.scale;
      for (let i = 0; i < n; i++) {
        const u = unitsAt(values, i);
        xs[i] = (typeof u === 'number' ? u : Number(u)) / pow;
      }
    } else return undefined;
    return xs;
  }

  /**
   * A UTF-8 column from its bytes: each value is hashed (hashUtf8, the same bits as hashString
   * for ASCII) and its characters counted in one pass over its bytes, and decoded only when the
   * top values start a counter for it: no JS string per value (a third of the profile's time).
   */
  private consumeUtf8(data: arrow.Data): void {
    const bytes = data.values as Uint8Array;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const offsets = data.valueOffsets as Int32Array;
    const nulls = nullBitsOf(data);
    const hll = this.hll;
    const top = this.top;
    for (let i = 0; i < data.length; i++) {
      if (nulls && isNullAt(nulls, i)) {
        this.nulls++;
        continue;
      }
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      const hash = hashUtf8(bytes, start, end);
      const live = this.hllLive;
      if (live) hll.addHash(hash[0]!, hash[1]!);
      if (top.tracked) {
        top.addKeyed(hash[0]! * 2 ** 21 + (hash[1]! >>> 11), buf, start, end, hash[1]!);
        if (!live && this.hllLive) hll.addHash(hash[0]!, hash[1]!);
      }
      this.addLength(UTF8_CHARS[0]!);
    }
  }

  private addLength(len: number): void {
    if (len === 0) this.empty++;
    if (len < this.lenMin) this.lenMin = len;
    if (len > this.lenMax) this.lenMax = len;
    this.lenSum += len;
  }

  finish(): ColumnProfile {
    const values = this.rows - this.nulls;
    const pct = (k: number) => (this.rows ? round((100 * k) / this.rows) : 0);
    const shown = (x: number): ProfileValue => (this.shape === 'date' ? new Date(x).toISOString().slice(0, 10) : this.shape === 'timestamp' ? new Date(x).toISOString() : round(x, 6));
    const exactTop = this.top.tracked && this.top.rounds === 0;
    // Counting with no decrement saw every distinct value: that count beats the estimate, which
    // is also capped at the values seen (a unique column shows its row count, not 1% more).
    const distinct = exactTop ? this.top.top(Infinity)!.length : Math.min(this.hll.estimate(), values);
    // Past the counters, only counts above the rounds are surely frequent values, not leftovers.
    const top = distinct <= TOP_VALUES_MAX_DISTINCT ? this.top.top(TOP_VALUES_SHOWN)?.filter((t) => t.count > this.top.rounds) : undefined;
    const out: Record<string, unknown> = {
      name: this.def.name,
      kind: this.def.kind,
      nulls: this.nulls,
      null_pct: pct(this.nulls),
    };
    if (this.shape === 'string') Object.assign(out, { empty: this.empty, empty_pct: pct(this.empty) });
    out.distinct = distinct;
    if (this.quantiles && values > 0) {
      const qs = this.quantiles.quantiles(Object.values(QUANTILES));
      const mean = this.sum / values;
      Object.assign(out, {
        min: shown(this.min),
        max: shown(this.max),
        mean: this.shape === 'number' ? round(mean, 6) : shown(Math.round(mean)),
        quantiles: Object.fromEntries(Object.keys(QUANTILES).map((k, i) => [k, shown(qs[i]!)])),
      });
    }
    if (this.shape === 'string' && values > 0) out.length = { min: this.lenMin, mean: round(this.lenSum / values, 2), max: this.lenMax };
    // A column where no value repeats (an id) has no top values worth showing.
    if (top && top.length && top[0]!.count > 1) {
      out.top_values = top.map((t) => ({ value: typeof t.value === 'number' ? shown(t.value) : t.value, count: t.count }));
      out.top_values_exact = exactTop;
      if (!exactTop) out.top_values_error = this.top.rounds;
    }
    return Object.freeze(out) as unknown as ColumnProfile;
  }
}

/** Characters (code points) of a string: UTF-16 units less the second half of each surrogate pair. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

/** Reads row i of a column as a number or string (null for null); int64 straight from its buffer. */
function readerOf(data: arrow.Data): (i: number) => number | string | null {
  const type = data.type;
  if (arrow.DataType.isInt(type) && type.bitWidth === 64 && data.values instanceof BigInt64Array) {
    const values = data.values;
    const nulls = nullBitsOf(data);
    return nulls ? (i) => (isNullAt(nulls, i) ? null : Number(values[i]!)) : (i) => Number(values[i]!);
  }
  if (arrow.DataType.isBool(type)) {
    const vector = arrow.makeVector(data);
    return (i) => {
      const v = vector.get(i);
      return v === null ? null : String(v);
    };
  }
  return keyReaderOf(data);
}

/**
 * Profiles every column of one partition while its batches stream by (the same pass as the
 * table's checks: it is a BatchConsumer). Holds per column a 16 KiB HyperLogLog, a KLL sketch of
 * a few hundred numbers and at most 100 counters, whatever the partition's size.
 */
export class TableProfiler {
  private readonly columns: ColumnAccumulator[];
  private rows = 0;

  constructor(
    readonly dataset: string,
    readonly ds: string,
    schema: readonly ColumnDef[],
  ) {
    this.columns = schema.map((c) => new ColumnAccumulator(c));
  }

  /** Names of the columns the profiler needs in each batch: all of them. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.def.name);
  }

  consume(batch: arrow.RecordBatch): void {
    this.rows += batch.numRows;
    for (const c of this.columns) {
      const data = batch.getChild(c.def.name)?.data[0];
      if (data) c.consume(data);
    }
  }

  finish(): DatasetProfile {
    return Object.freeze({ dataset: this.dataset, ds: this.ds, rows: this.rows, columns: Object.freeze(this.columns.map((c) => c.finish())) });
  }
}

/** One partition's profile from profiles of disjoint sets of its columns (profiled apart), in the schema's column order. */
export function mergeProfiles(schema: readonly ColumnDef[], parts: readonly DatasetProfile[]): DatasetProfile {
  const byName = new Map(parts.flatMap((p) => p.columns.map((c) => [c.name, c] as const)));
  const first = parts[0]!;
  return Object.freeze({ dataset: first.dataset, ds: first.ds, rows: first.rows, columns: Object.freeze(schema.map((c) => byName.get(c.name)!)) });
}
