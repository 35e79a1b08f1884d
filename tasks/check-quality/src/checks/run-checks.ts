import type * as arrow from 'apache-arrow';
import type { CheckRunner, QualityCheckResult } from './quality-check-result';

/** Anything that takes the batches of one partition in order. */
export interface BatchConsumer {
  consume(batch: arrow.RecordBatch): void;
}

type Batches = AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>;

/**
 * Feeds the batches of one partition, once, to every consumer (the checks of that table, and any
 * key collectors for checks on other tables), then returns the checks' results in order.
 * Holds one batch at a time. `onBatch` sees each batch after the consumers (for progress).
 *
 * A check that learns its failing rows only at the end (CheckRunner.rowsToSample) gets their
 * samples from a second read: `reread(columns)` gives the partition's batches again, in the same
 * order, with those columns; it is read up to the last row asked for. An array of batches is read
 * again as it is.
 */
export async function runChecks(
  checks: readonly CheckRunner[],
  batches: Batches,
  opts: { readonly alsoFeed?: readonly BatchConsumer[]; readonly onBatch?: (batch: arrow.RecordBatch) => void; readonly reread?: (columns: readonly string[]) => Batches } = {},
): Promise<QualityCheckResult[]> {
  const consumers: BatchConsumer[] = [...checks, ...(opts.alsoFeed ?? [])];
  try {
    for await (const batch of batches) {
      for (const c of consumers) c.consume(batch);
      opts.onBatch?.(batch);
    }
    await sampleAgain(checks, opts.reread ?? (Array.isArray(batches) ? () => batches : undefined));
    return checks.map((c) => c.finish());
  } finally {
    for (const c of checks) c.dispose?.();
  }
}

/** The second read for the checks with rows to sample, stopped after the last such row. */
async function sampleAgain(checks: readonly CheckRunner[], reread: ((columns: readonly string[]) => Batches) | undefined): Promise<void> {
  const wanting = checks.filter((c) => (c.rowsToSample?.().length ?? 0) > 0);
  if (wanting.length === 0) return;
  if (!reread) throw new Error(`runChecks: ${wanting.map((c) => c.name).join(', ')} need a second read of the partition for their samples, and no reread was given`);
  const last = Math.max(...wanting.map((c) => c.rowsToSample!().at(-1)!));
  const columns = [...new Set(wanting.flatMap((c) => c.sampleColumns ?? c.columns))];
  let first = 0;
  for await (const batch of reread(columns)) {
    for (const c of wanting) c.sampleFrom!(batch, first);
    first += batch.numRows;
    if (first > last) break;
  }
}
