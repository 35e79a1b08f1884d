import * as arrow from 'apache-arrow';
import { assembleBatch, columnReaders, constantUtf8Data, int32Data } from '@salesflow/batches';
import { UNKNOWN_KEY } from './build-dimension';
import { dateKeyOfDay, epochDay } from './dim-date';

export interface FactLookup {
  /** Source column holding the natural key. */
  readonly column: string;
  /** Fact column receiving the surrogate key. */
  readonly keyColumn: string;
  readonly keys: ReadonlyMap<string, number>;
}

export interface FactPlan {
  readonly grain: readonly string[];
  readonly dateColumn: string;
  readonly measures: readonly string[];
  readonly lookups: readonly FactLookup[];
  readonly batchDs: string;
}

/** Per-batch figures the step adds up. */
export interface FactBatchStats {
  /** Facts whose lookup missed, by fact key column. */
  readonly unknown: Record<string, number>;
  minDay?: number;
  maxDay?: number;
}

/**
 * Turns one batch of the masked fact source into fact rows: grain, date_key, one surrogate key
 * per lookup (-1 when the member is unknown), measures, the source timestamp and batch_ds. Grain,
 * measure and timestamp columns reuse the source's Arrow data as is; only keys are computed. Pure.
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
  const keyCache = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    const ms = dateVec.get(r) as number | null;
    if (ms === null || ms === undefined) {
      dateKeys[r] = UNKNOWN_KEY;
      continue;
    }
    const day = epochDay(Number(ms));
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
      const k = nk === null || nk === undefined ? undefined : l.keys.get(String(nk));
      if (k === undefined) misses++;
      out[r] = k ?? UNKNOWN_KEY;
    }
    stats.unknown[l.keyColumn] = (stats.unknown[l.keyColumn] ?? 0) + misses;
    return int32Data(out);
  });
  const parts: [string, arrow.Data, boolean][] = [
    ...plan.grain.map((g): [string, arrow.Data, boolean] => [g, child(g).data[0]!, false]),
    ['date_key', int32Data(dateKeys), false],
    ...plan.lookups.map((l, i): [string, arrow.Data, boolean] => [l.keyColumn, lookupData[i]!, false]),
    ...plan.measures.map((m): [string, arrow.Data, boolean] => [m, child(m).data[0]!, true]),
    [plan.dateColumn, dateVec.data[0]!, true],
    ['batch_ds', constantUtf8Data(plan.batchDs, n), false],
  ];
  const fields = parts.map(([name, data, nullable]) => new arrow.Field(name, data.type, nullable));
  return assembleBatch(new arrow.Schema(fields), parts.map((p) => p[1]), n);
}
