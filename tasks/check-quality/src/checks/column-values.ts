import * as arrow from 'apache-arrow';
import { isNullAt, normalizeKey, nullBitsOf, unitsReaderOf, type KeyValue } from '@salesflow/batches';
import type { SampleRow, SampleValue } from './quality-check-result';

export { isNullAt, normalizeKey, nullBitsOf, type KeyValue };

/** Reads row i of one column as a KeyValue, or null. */
export type KeyReader = (row: number) => KeyValue | null;

/** Longest string shown in a sample; longer ones are cut, so one odd value cannot bloat the report. */
const MAX_SAMPLE_STRING = 200;

/** The Arrow data of a batch column, or undefined when the batch has no such column. */
export function columnData(batch: arrow.RecordBatch, name: string): arrow.Data | undefined {
  // A record batch's child vector has exactly one Data chunk.
  return batch.getChild(name)?.data[0];
}

/**
 * A reader of KeyValues for one column of one batch. Small integers, floats and UTF-8 strings
 * are read straight from the Arrow buffers; other types go through Vector.get and normalizeKey.
 */
export function keyReaderOf(data: arrow.Data): KeyReader {
  const nulls = nullBitsOf(data);
  const type = data.type;
  if ((arrow.DataType.isInt(type) && type.bitWidth <= 32) || (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF)) {
    const values = data.values as Int32Array | Float64Array;
    return nulls ? (i) => (isNullAt(nulls, i) ? null : values[i]!) : (i) => values[i]!;
  }
  // Dates and millisecond timestamps as epoch ms, straight from their buffers (Vector.get is ~10x slower).
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MILLISECOND && data.values instanceof BigInt64Array) {
    const values = data.values;
    return (i) => (isNullAt(nulls, i) ? null : Number(values[i]!));
  }
  if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.DAY && data.values instanceof Int32Array) {
    const values = data.values;
    return (i) => (isNullAt(nulls, i) ? null : values[i]! * 86_400_000);
  }
  if (arrow.DataType.isDecimal(type)) {
    // Decimals check as their value, the number nearest the digits (12.50 -> 12.5), as a double
    // column of an older lake reads: range bounds and accepted values are numbers in the config.
    const units = unitsReaderOf(arrow.makeVector(data));
    const pow = 10 ** type.scale;
    return (i) => {
      const u = units(i);
      return u === null ? null : typeof u === 'number' ? u / pow : Number(u) / pow;
    };
  }
  if (arrow.DataType.isUtf8(type)) {
    const bytes = data.values as Uint8Array;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const offsets = data.valueOffsets as Int32Array;
    return (i) => (isNullAt(nulls, i) ? null : buf.toString('utf8', offsets[i]!, offsets[i + 1]!));
  }
  const vector = arrow.makeVector(data);
  return (i) => normalizeKey(vector.get(i));
}

/** Makes one value JSON-safe for a sample: bigints and non-finite numbers as strings, dates as ISO text. */
export function toSampleValue(value: unknown, type?: arrow.DataType): SampleValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (type && (arrow.DataType.isDate(type) || arrow.DataType.isTimestamp(type))) {
      const iso = new Date(value).toISOString();
      return arrow.DataType.isDate(type) ? iso.slice(0, 10) : iso;
    }
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  return text.length > MAX_SAMPLE_STRING ? text.slice(0, MAX_SAMPLE_STRING) + '…' : text;
}

/**
 * One sample row: `_row` (position in the partition), then the named columns the batch has.
 * Only called for the few sampled rows, so it may use the slow Vector.get.
 */
export function sampleRowOf(batch: arrow.RecordBatch, columns: readonly string[], row: number, partitionRow: number): SampleRow {
  const out: Record<string, SampleValue> = { _row: partitionRow };
  for (const name of columns) {
    const vector = batch.getChild(name);
    if (vector) out[name] = toSampleValue(vector.get(row), vector.type);
  }
  return Object.freeze(out);
}
