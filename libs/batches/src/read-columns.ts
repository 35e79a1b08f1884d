import type * as arrow from 'apache-arrow';
import { DateUnit, TimeUnit, Type } from 'apache-arrow';

/** Reads one value; Arrow vectors expose get(i). */
export type ColumnReader = (row: number) => unknown;

/**
 * Readers for the named columns of a batch, in order; a column the batch lacks reads as null.
 * Keeps hot loops columnar instead of materializing row objects (toJSON is slow).
 */
export function columnReaders(batch: arrow.RecordBatch, names: readonly string[]): ColumnReader[] {
  return names.map((n) => {
    const v = batch.getChild(n);
    if (!v) return () => null;
    return utf8Reader(v) ?? fixedWidthReader(v) ?? ((r: number) => v.get(r));
  });
}

/**
 * A numeric, date or timestamp column of one chunk read straight from its typed array, giving
 * what Arrow's get() gives (int64 as bigint, dates and millisecond timestamps as epoch ms) without
 * its visitor dispatch per value. Undefined for other columns and units.
 */
function fixedWidthReader(v: arrow.Vector): ColumnReader | undefined {
  if (v.data.length !== 1) return undefined;
  const d = v.data[0]!;
  const type = v.type as arrow.DataType & { bitWidth?: number; isSigned?: boolean; unit?: number };
  const values = d.values as unknown;
  let get: ColumnReader | undefined;
  if (type.typeId === Type.Float && values instanceof Float64Array) get = (r) => values[r];
  else if (type.typeId === Type.Int && type.isSigned && (values instanceof Int32Array || values instanceof BigInt64Array)) get = (r) => values[r];
  else if (type.typeId === Type.Timestamp && type.unit === TimeUnit.MILLISECOND && values instanceof BigInt64Array) get = (r) => Number(values[r]);
  else if (type.typeId === Type.Date && type.unit === DateUnit.DAY && values instanceof Int32Array) get = (r) => values[r]! * 86_400_000;
  if (!get) return undefined;
  if (d.nullCount === 0) return get;
  const read = get;
  return (r) => (d.getValid(r) ? read(r) : null);
}

/**
 * A Utf8 column of one chunk read straight from its buffers: Buffer#toString per value instead
 * of Arrow's get() (a visitor, then a TextDecoder call), about 3x faster on short strings.
 * Same strings, invalid bytes included (both give U+FFFD). Undefined for other columns.
 */
function utf8Reader(v: arrow.Vector): ColumnReader | undefined {
  if (v.data.length !== 1 || v.type.typeId !== Type.Utf8) return undefined;
  const d = v.data[0]! as arrow.Data<arrow.Utf8>;
  const offsets = d.valueOffsets;
  const values = d.values;
  const buf = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (d.nullCount === 0) return (r) => buf.toString('utf8', offsets[r]!, offsets[r + 1]!);
  return (r) => (d.getValid(r) ? buf.toString('utf8', offsets[r]!, offsets[r + 1]!) : null);
}

/** Rows of a batch as plain objects; for small batches and tests, not hot paths. */
export function batchToObjects(batch: arrow.RecordBatch): Record<string, unknown>[] {
  const names = batch.schema.fields.map((f) => f.name);
  const readers = columnReaders(batch, names);
  const out: Record<string, unknown>[] = [];
  for (let r = 0; r < batch.numRows; r++) {
    const o: Record<string, unknown> = {};
    names.forEach((n, i) => (o[n] = readers[i]!(r)));
    out.push(o);
  }
  return out;
}
