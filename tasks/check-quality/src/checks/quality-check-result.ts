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
  /** The configured kind, or profile_drift: the warn check the step adds for each profiled table with a previous profile. */
  readonly check: QualityCheckConfig['check'] | 'profile_drift';
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
  /** Releases what the check holds outside memory (spill files); called after finish(), or instead of it when reading fails. */
  dispose?(): void;
  /**
   * Once every batch was consumed, before finish(): the rows (0-based over the partition, in
   * order) whose samples the check could not make while their batches went by (the unique check
   * with its keys spilled learns its repeats at the end). runChecks then reads the partition's
   * `sampleColumns` again up to the last of them and hands each batch to sampleFrom().
   */
  rowsToSample?(): readonly number[];
  /** The columns a sample shows (the check's own and the table's identity columns). */
  readonly sampleColumns?: readonly string[];
  /** Makes the samples of rowsToSample() that lie in `batch`, whose first row is partition row `firstRow`. */
  sampleFrom?(batch: arrow.RecordBatch, firstRow: number): void;
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
  /** The table's row count, when known before any batch (from the manifest): sizes what a check holds per row. */
  readonly expectedRows?: number;
  /** What checks beyond one partition need (previous ds, run reports); gathered by the step before the pass. */
  readonly context?: CheckContext;
}

/** A step's run report as the checks read it (_runs/dt=<ds>/<step>[-<source>].json). */
export interface RunReportView {
  readonly step: string;
  readonly source?: string;
  readonly status: string;
  readonly rows_in?: number;
  readonly rows_out?: number;
  readonly rows_rejected?: number;
  readonly rows_dropped?: number;
  readonly outputs?: readonly { readonly uri: string; readonly rows: number }[];
  readonly inputs?: readonly { readonly uri: string; readonly rows: number }[];
  readonly metrics?: Readonly<Record<string, unknown>>;
}

/** Facts about the lake around the checked partition. Pure data: checks never read the lake. */
export interface CheckContext {
  readonly ds: string;
  /** row_count_change: the checked table's latest committed partition before ds, if any. */
  readonly previous?: { readonly ds: string; readonly rows: number };
  /** reconciliation: the run reports of ds, by file name without .json ("ingest-landing", "standardize"). */
  readonly runReports?: ReadonlyMap<string, RunReportView>;
  /** reconciliation: the standardized entity the fact table is built from. */
  readonly factSource?: string;
  /** reconciliation: rows newer batches moved out of the fact partition after its build (manifest meta moved_out). */
  readonly factMovedOut?: number;
  /** row_count: rows of this batch its build left out because a newer batch carries their grain (manifest meta superseded). */
  readonly factSuperseded?: number;
}

/** Rows of the checked fact partition's batch that newer batches carry now (moved out or left out); 0 for other tables. */
export function rowsInNewerBatches(context: CheckContext | undefined): number {
  return (context?.factMovedOut ?? 0) + (context?.factSuperseded ?? 0);
}

/** The number of failing rows kept as a sample unless told otherwise. */
export const DEFAULT_SAMPLE_LIMIT = 10;

/** What a check found; checkResult adds the check's identity from its config. */
export type CheckOutcome = Pick<QualityCheckResult, 'status' | 'failing_rows' | 'rows_checked' | 'sample' | 'message'>;

/** The frozen result of a check named `name` (nameCheck of its config) with this outcome. */
export function checkResult(config: QualityCheckConfig, name: string, outcome: CheckOutcome): QualityCheckResult {
  return Object.freeze({
    name,
    table: config.table,
    check: config.check,
    columns: Object.freeze([...config.columns]),
    severity: config.severity,
    ...outcome,
    sample: Object.freeze([...outcome.sample]),
  });
}
