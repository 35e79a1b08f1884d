import * as arrow from 'apache-arrow';
import { assembleBatch, columnReaders, constantUtf8Data, int32Data } from '@salesflow/batches';
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

/** A measure computed from the source row (see compileMeasure). */
export interface DerivedMeasure {
  readonly name: string;
  /** Makes the row function for a batch. */
  readonly compile: (read: (column: string) => ValueReader) => (row: number) => number | null;
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
  const dateKeys = new Int32Array(n);
  const days = new Int32Array(n);
  const keyCache = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    const ms = dateVec.get(r) as number | null;
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
    const [read] = columnReaders(batch, [l.column]);
    const out = new Int32Array(n);
    let misses = 0;
    for (let r = 0; r < n; r++) {
      const nk = read!(r);
      const k = nk === null || nk === undefined ? undefined : l.keys.keyAt(String(nk), days[r]!);
      if (k === undefined) misses++;
      out[r] = k ?? UNKNOWN_KEY;
    }
    stats.unknown[l.keyColumn] = (stats.unknown[l.keyColumn] ?? 0) + misses;
    return int32Data(out);
  });
  const read = (column: string) => columnReaders(batch, [column])[0]!;
  const derivedData = (plan.derived ?? []).map((d) => {
    const value = d.compile(read);
    const values = new Float64Array(n);
    const valid = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    const source = batch.getChild(d.name);
    let mismatches = 0;
    for (let r = 0; r < n; r++) {
      const v = value(r);
      if (v === null) nulls++;
      else {
        values[r] = v;
        valid[r >> 3]! |= 1 << (r & 7);
      }
      if (source && (source.get(r) ?? null) !== v) mismatches++;
    }
    if (source && stats.mismatches) stats.mismatches[d.name] = (stats.mismatches[d.name] ?? 0) + mismatches;
    return arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: nulls, data: values, nullBitmap: nulls ? valid : undefined });
  });
  const parts: [string, arrow.Data, boolean][] = [
    ...plan.grain.map((g): [string, arrow.Data, boolean] => [g, child(g).data[0]!, false]),
    ['date_key', int32Data(dateKeys), false],
    ...plan.lookups.map((l, i): [string, arrow.Data, boolean] => [l.keyColumn, lookupData[i]!, false]),
    ...plan.measures.map((m): [string, arrow.Data, boolean] => [m, child(m).data[0]!, true]),
    ...(plan.derived ?? []).map((d, i): [string, arrow.Data, boolean] => [d.name, derivedData[i]!, true]),
    [plan.dateColumn, dateVec.data[0]!, true],
    ['batch_ds', constantUtf8Data(plan.batchDs, n), false],
  ];
  const fields = parts.map(([name, data, nullable]) => new arrow.Field(name, data.type, nullable));
  return assembleBatch(new arrow.Schema(fields), parts.map((p) => p[1]), n);
}
