import * as arrow from 'apache-arrow';
import { assembleBatch, columnReaders, decimalUnitsOf, decimalUnitsReader, DecimalWriter, int32Data, Utf8Ids, type UnitsReader } from '@salesflow/batches';
import { UNKNOWN_KEY, type KeyLookup } from './build-dimension';
import type { ValueReader } from './derive-measure';
import { dateKeyOfDay, epochDay } from './dim-date';

export interface FactLookup {
  /** Source column holding the natural key. */
  readonly column: string;
  /** Fact column receiving the surrogate key. */
  readonly keyColumn: string;
  /** The key of the version valid at the fact's date. */
  readonly keys: KeyLookup;
}

/** A decimal column's scaled integers and their scale. */
export interface DecimalUnits {
  readonly read: UnitsReader;
  readonly scale: number;
}

/** A measure computed from the source row (see compileMeasure). */
export interface DerivedMeasure {
  readonly name: string;
  /** The decimal column it is stored in. */
  readonly precision: number;
  readonly scale: number;
  /** Makes the row function for a batch: the scaled integer at `scale`, or null. */
  readonly compile: (read: (column: string) => ValueReader, readUnits: (column: string) => DecimalUnits | undefined) => (row: number) => number | bigint | null;
}

export interface FactPlan {
  readonly grain: readonly string[];
  readonly dateColumn: string;
  readonly measures: readonly string[];
  readonly derived?: readonly DerivedMeasure[];
  readonly lookups: readonly FactLookup[];
  readonly batchDs: string;
}

/** Per-batch figures the step adds up. */
export interface FactBatchStats {
  /** Facts whose lookup missed, by fact key column. */
  readonly unknown: Record<string, number>;
  /** Rows whose derived measure differs from the source column of the same name, by measure. */
  readonly mismatches?: Record<string, number>;
  minDay?: number;
  maxDay?: number;
}

/**
 * Turns one batch of the masked fact source into fact rows: grain, date_key, one surrogate key
 * per lookup (the version valid at the fact's date; -1 when the member is unknown), measures,
 * derived measures, the source timestamp and batch_ds. Grain, measure and timestamp columns reuse
 * the source's Arrow data as is; only keys and derived measures are computed. Pure.
 */
export function buildFactBatch(batch: arrow.RecordBatch, plan: FactPlan, stats: FactBatchStats): arrow.RecordBatch {
  const n = batch.numRows;
  const child = (name: string) => {
    const v = batch.getChild(name);
    if (!v) throw new Error(`fact source column ${name} is missing`);
    return v;
  };
  const dateVec = child(plan.dateColumn);
  const [readDate] = columnReaders(batch, [plan.dateColumn]);
  const dateKeys = new Int32Array(n);
  const days = new Int32Array(n);
  const keyCache = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    const ms = readDate!(r) as number | null;
    if (ms === null || ms === undefined) {
      dateKeys[r] = UNKNOWN_KEY;
      days[r] = 2 ** 31 - 1; // no date: the member's current version
      continue;
    }
    const day = epochDay(Number(ms));
    days[r] = day;
    let key = keyCache.get(day);
    if (key === undefined) {
      key = dateKeyOfDay(day);
      keyCache.set(day, key);
      if (stats.minDay === undefined || day < stats.minDay) stats.minDay = day;
      if (stats.maxDay === undefined || day > stats.maxDay) stats.maxDay = day;
    }
    dateKeys[r] = key;
  }
  const lookupData = plan.lookups.map((l) => {
    const out = new Int32Array(n);
    const misses = resolveKeys(l, child(l.column), days, out);
    stats.unknown[l.keyColumn] = (stats.unknown[l.keyColumn] ?? 0) + misses;
    return int32Data(out);
  });
  const read = (column: string) => columnReaders(batch, [column])[0]!;
  const readUnits = (column: string): DecimalUnits | undefined => {
    const t = batch.getChild(column)?.type;
    return t && arrow.DataType.isDecimal(t) ? { read: decimalUnitsReader(batch, column), scale: t.scale } : undefined;
  };
  const derivedData = (plan.derived ?? []).map((d) => {
    const value = d.compile(read, readUnits);
    const out = new DecimalWriter(d.precision, d.scale);
    // The source's own column of that name, as scaled integers at the measure's scale.
    const sourceUnits = readUnits(d.name);
    const same = sourceUnits?.scale === d.scale ? sourceUnits.read : undefined;
    const source = batch.getChild(d.name) && !same ? read(d.name) : undefined;
    let mismatches = 0;
    for (let r = 0; r < n; r++) {
      const v = value(r);
      if (v === null) out.appendNull();
      else out.appendUnits(v);
      if (same) {
        if (!sameUnits(same(r), v)) mismatches++;
      } else if (source) {
        const had = source(r);
        const units = had === null || had === undefined ? null : decimalUnitsOf(had, d.scale);
        if (!sameUnits(units ?? null, v)) mismatches++;
      }
    }
    if ((same || source) && stats.mismatches) stats.mismatches[d.name] = (stats.mismatches[d.name] ?? 0) + mismatches;
    return out.finish();
  });
  const parts: [string, arrow.Data, boolean][] = [
    ...plan.grain.map((g): [string, arrow.Data, boolean] => [g, child(g).data[0]!, false]),
    ['date_key', int32Data(dateKeys), false],
    ...plan.lookups.map((l, i): [string, arrow.Data, boolean] => [l.keyColumn, lookupData[i]!, false]),
    ...plan.measures.map((m): [string, arrow.Data, boolean] => [m, child(m).data[0]!, true]),
    ...(plan.derived ?? []).map((d, i): [string, arrow.Data, boolean] => [d.name, derivedData[i]!, true]),
    [plan.dateColumn, dateVec.data[0]!, true],
    ['batch_ds', constantDateData(plan.batchDs, n), false],
  ];
  const fields = parts.map(([name, data, nullable]) => new arrow.Field(name, data.type, nullable));
  return assembleBatch(new arrow.Schema(fields), parts.map((p) => p[1]), n);
}

/** Whether two scaled integers (numbers while safe, bigints past 2^53) or nulls are equal. */
function sameUnits(a: number | bigint | null, b: number | bigint | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a === typeof b) return false;
  return BigInt(a) === BigInt(b);
}

/** A DATE column of n rows, all the day `ds` (YYYY-MM-DD). */
function constantDateData(ds: string, n: number): arrow.Data {
  const days = new Int32Array(n).fill(Math.floor(Date.parse(`${ds}T00:00:00Z`) / 86_400_000));
  return arrow.makeData({ type: new arrow.DateDay(), length: n, data: days });
}

/** What a lookup has learnt of each distinct natural key, kept across the batches of one step. */
interface LookupMemo {
  readonly ids: Utf8Ids;
  /** Per id: 0 not looked up yet, 1 `keys` holds its key for every day, 2 unknown member, 3 depends on the day. */
  state: Uint8Array;
  keys: Int32Array;
}

/** Distinct natural keys remembered per lookup before the memo starts over (bounds its memory). */
const MEMO_MAX_KEYS = 1 << 21;
const memos = new WeakMap<FactLookup, LookupMemo>();

/**
 * Writes the surrogate key of each row's natural key into `out` (UNKNOWN_KEY for a null or
 * unknown one); returns how many missed. Each distinct key is decoded and looked up once per
 * step (a memo per lookup), not once per row.
 */
function resolveKeys(lookup: FactLookup, column: arrow.Vector, days: Int32Array, out: Int32Array): number {
  let memo = memos.get(lookup);
  if (!memo || memo.ids.size > MEMO_MAX_KEYS) {
    memo = { ids: new Utf8Ids(), state: new Uint8Array(1024), keys: new Int32Array(1024) };
    memos.set(lookup, memo);
  }
  const ids = memo.ids.idsOf(column);
  if (memo.ids.size > memo.state.length) {
    const size = Math.max(memo.ids.size, memo.state.length * 2);
    const state = new Uint8Array(size);
    state.set(memo.state);
    const keys = new Int32Array(size);
    keys.set(memo.keys);
    memo.state = state;
    memo.keys = keys;
  }
  const { state, keys } = memo;
  const values = memo.ids.values;
  let misses = 0;
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r]!;
    if (id < 0) {
      out[r] = UNKNOWN_KEY;
      misses++;
      continue;
    }
    let s = state[id]!;
    if (s === 0) {
      const fixed = lookup.keys.fixedKey ? lookup.keys.fixedKey(values[id]!) : null;
      s = state[id] = fixed === undefined ? 2 : fixed === null ? 3 : 1;
      if (fixed !== undefined && fixed !== null) keys[id] = fixed;
    }
    if (s === 1) out[r] = keys[id]!;
    else {
      const k = s === 2 ? undefined : lookup.keys.keyAt(values[id]!, days[r]!);
      if (k === undefined) misses++;
      out[r] = k ?? UNKNOWN_KEY;
    }
  }
  return misses;
}
