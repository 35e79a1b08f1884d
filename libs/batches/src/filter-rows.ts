import type * as arrow from 'apache-arrow';
import { BatchBuilder } from './batch-builder';
import { columnsOf } from './column-kinds';
import { columnReaders } from './read-columns';

/**
 * The rows of a batch whose keep flag is 1, in order, as a new batch of the same columns; the
 * batch itself when every row is kept (the common case costs one scan of the flags). Row by row:
 * meant for the few rows a merge drops, not for hot paths.
 */
export function filterRows(batch: arrow.RecordBatch, keep: Uint8Array): arrow.RecordBatch {
  let kept = 0;
  for (let r = 0; r < batch.numRows; r++) kept += keep[r]! ? 1 : 0;
  if (kept === batch.numRows) return batch;
  const columns = columnsOf(batch.schema);
  const out = new BatchBuilder(columns);
  const readers = columnReaders(batch, columns.map((c) => c.name));
  const row: unknown[] = new Array(columns.length);
  for (let r = 0; r < batch.numRows; r++) {
    if (!keep[r]) continue;
    for (let c = 0; c < readers.length; c++) row[c] = readers[c]!(r);
    out.appendRow(row);
  }
  return out.finish();
}
