import type * as arrow from 'apache-arrow';
import type { CheckRunner, QualityCheckResult } from './quality-check-result';

/** Anything that takes the batches of one partition in order. */
export interface BatchConsumer {
  consume(batch: arrow.RecordBatch): void;
}

/**
 * Feeds the batches of one partition, once, to every consumer (the checks of that table, and any
 * key collectors for checks on other tables), then returns the checks' results in order.
 * Holds one batch at a time. `onBatch` sees each batch after the consumers (for progress).
 */
export async function runChecks(
  checks: readonly CheckRunner[],
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  opts: { readonly alsoFeed?: readonly BatchConsumer[]; readonly onBatch?: (batch: arrow.RecordBatch) => void } = {},
): Promise<QualityCheckResult[]> {
  const consumers: BatchConsumer[] = [...checks, ...(opts.alsoFeed ?? [])];
  try {
    for await (const batch of batches) {
      for (const c of consumers) c.consume(batch);
      opts.onBatch?.(batch);
    }
    return checks.map((c) => c.finish());
  } finally {
    for (const c of checks) c.dispose?.();
  }
}
