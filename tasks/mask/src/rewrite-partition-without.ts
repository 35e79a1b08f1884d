import type * as arrow from 'apache-arrow';
import { schemaOf } from '@salesflow/batches';
import type { Lake } from '@salesflow/lake';

/** Which rows of a batch to drop, given the batch read with `columns` only or whole. */
export type RowFilter = (batch: arrow.RecordBatch) => (row: number) => boolean;

const READ_BATCH_ROWS = 32_768;

/**
 * Rewrites one committed partition without the rows `drop` picks, under the same producer and
 * meta (plus `erased: {rows, run_id}`), and returns how many went; a partition without such rows
 * is left untouched. A first pass reads only `columns` to count; the rewrite streams the
 * partition as slices of the kept rows, so memory stays bounded. The replaced files are removed
 * by the commit like any re-run's.
 */
export async function rewritePartitionWithout(lake: Lake, dataset: string, ds: string, runId: string, columns: readonly string[], drop: RowFilter): Promise<number> {
  const manifest = await lake.readManifest(dataset, ds);
  if (!manifest) return 0;
  let dropped = 0;
  for await (const b of lake.readManifestBatches(manifest, { batchSize: READ_BATCH_ROWS, columns })) {
    const picks = drop(b);
    for (let r = 0; r < b.numRows; r++) if (picks(r)) dropped++;
  }
  if (dropped === 0) return 0;
  const writer = lake.openPartition({ dataset, ds, step: manifest.producer.step, runId, schema: schemaOf(manifest.schema) });
  try {
    for await (const b of lake.readManifestBatches(manifest, { batchSize: READ_BATCH_ROWS })) {
      const picks = drop(b);
      let start = 0;
      for (let r = 0; r <= b.numRows; r++) {
        if (r < b.numRows && !picks(r)) continue;
        if (r > start) await writer.write(b.slice(start, r));
        start = r + 1;
      }
    }
    await writer.commit({ ...(manifest.meta ?? {}), erased: { rows: dropped, run_id: runId } });
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
  return dropped;
}
