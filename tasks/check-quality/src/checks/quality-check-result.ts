import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';

/** A value shown in a sample: JSON-safe (bigints, dates and non-finite numbers become strings). */
export type SampleValue = string | number | boolean | null;

/** One failing row as shown in the report: `_row` is its 0-based position in the partition, then column values. */
export type SampleRow = Readonly<Record<string, SampleValue>>;

/** The outcome of one configured check over one partition, as written in quality/dt=<ds>/report.json. */
export interface QualityCheckResult {
  /** Stable name, e.g. "fact_sales.unique(transaction_id)". */
  readonly name: string;
  readonly table: string;
  readonly check: QualityCheckConfig['check'];
  readonly columns: readonly string[];
  readonly severity: QualityCheckConfig['severity'];
  readonly status: 'passed' | 'failed';
  /** Rows that broke the rule (row_count: how many rows below min or above max). */
  readonly failing_rows: number;
  /** Rows of the partition the check looked at. */
  readonly rows_checked: number;
  /** At most `sampleLimit` (default 10) failing rows. */
  readonly sample: readonly SampleRow[];
  readonly message: string;
}

/**
 * One check running over the record batches of one partition: feed every batch to consume(),
 * in order, then call finish() once. Holds only its running counts (unique: the keys seen so far).
 */
export interface CheckRunner {
  readonly name: string;
  readonly config: QualityCheckConfig;
  /** Columns of the checked table this check reads (the step reads only the union of these). */
  readonly columns: readonly string[];
  consume(batch: arrow.RecordBatch): void;
  finish(): QualityCheckResult;
}

/** What every check accepts besides its config. */
export interface CheckOptions {
  /** Failing rows kept as a sample; default 10. */
  readonly sampleLimit?: number;
  /**
   * Columns added to each sample row when the batch has them, so a failing row can be found
   * (the fact's grain, a dimension's natural key). Reading them is the caller's business.
   */
  readonly sampleColumns?: readonly string[];
  /**
   * The table's columns, when known before any batch (from the manifest). Lets a check on a
   * missing column fail even when the partition has no rows.
   */
  readonly tableColumns?: readonly string[];
}

/** The number of failing rows kept as a sample unless told otherwise. */
export const DEFAULT_SAMPLE_LIMIT = 10;
