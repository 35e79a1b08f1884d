import type * as arrow from 'apache-arrow';

/** Reads one value; Arrow vectors expose get(i). */
export type ColumnReader = (row: number) => unknown;

/**
 * Readers for the named columns of a batch, in order; a column the batch lacks reads as null.
 * Keeps hot loops columnar instead of materializing row objects (toJSON is slow).
 */
export function columnReaders(batch: arrow.RecordBatch, names: readonly string[]): ColumnReader[] {
  return names.map((n) => {
    const v = batch.getChild(n);
    return v ? (r: number) => v.get(r) : () => null;
  });
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
