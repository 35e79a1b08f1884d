import * as arrow from 'apache-arrow';

/**
 * A record batch from column data that already exists (reused source columns, typed arrays),
 * without copying any of it. Every child must have `length` rows.
 */
export function assembleBatch(schema: arrow.Schema, children: readonly arrow.Data[], length: number): arrow.RecordBatch {
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children: [...children] });
  return new arrow.RecordBatch(schema, struct);
}

/** An Int32 column without nulls over a typed array (no copy). */
export function int32Data(values: Int32Array): arrow.Data<arrow.Int32> {
  return arrow.makeData({ type: new arrow.Int32(), length: values.length, nullCount: 0, data: values });
}

/** A Utf8 column holding the same text on every row, built straight into its buffers. */
export function constantUtf8Data(value: string, length: number): arrow.Data<arrow.Utf8> {
  const bytes = Buffer.from(value, 'utf8');
  const offsets = new Int32Array(length + 1);
  const width = bytes.length;
  const data = new Uint8Array(width * length);
  // The value once, then the filled part copied after itself: log2(length) copies, not one per row.
  if (length > 0) data.set(bytes, 0);
  for (let filled = width; filled > 0 && filled < data.length; filled *= 2) data.copyWithin(filled, 0, Math.min(filled, data.length - filled));
  for (let i = 1; i <= length; i++) offsets[i] = i * width;
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: 0, valueOffsets: offsets, data });
}
