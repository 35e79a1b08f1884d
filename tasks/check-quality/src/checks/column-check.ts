import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { nameCheck } from './check-name';
import { columnData, sampleRowOf } from './column-values';
import { checkResult, DEFAULT_SAMPLE_LIMIT, type CheckOptions, type CheckRunner, type QualityCheckResult, type SampleRow } from './quality-check-result';

/**
 * What every check shares: it counts rows, keeps the first failing rows as a sample, and turns a
 * column the table lacks into a failed result naming the table and the column instead of a crash.
 * A subclass implements checkBatch() over the Arrow data of its columns.
 */
export abstract class ColumnCheck implements CheckRunner {
  readonly name: string;
  readonly columns: readonly string[];
  protected rows = 0;
  protected failing = 0;
  private readonly sample: SampleRow[] = [];
  protected readonly sampleLimit: number;
  readonly sampleColumns: readonly string[];
  /** Set when the check cannot run (a missing column); the result is failed with this message. */
  protected problem?: string;

  constructor(
    readonly config: QualityCheckConfig,
    opts: CheckOptions = {},
  ) {
    this.name = nameCheck(config);
    this.columns = [...config.columns];
    this.sampleLimit = opts.sampleLimit ?? DEFAULT_SAMPLE_LIMIT;
    this.sampleColumns = [...new Set([...config.columns, ...(opts.sampleColumns ?? [])])];
    if (opts.tableColumns) this.findMissing(opts.tableColumns);
  }

  consume(batch: arrow.RecordBatch): void {
    if (this.problem) return;
    const data: arrow.Data[] = [];
    for (const c of this.columns) {
      const d = columnData(batch, c);
      if (!d) {
        this.findMissing(batch.schema.fields.map((f) => f.name));
        return;
      }
      data.push(d);
    }
    this.checkBatch(batch, data);
    this.rows += batch.numRows;
  }

  finish(): QualityCheckResult {
    const failed = this.problem !== undefined || this.failing > 0;
    return checkResult(this.config, this.name, {
      status: failed ? 'failed' : 'passed',
      failing_rows: this.failing,
      rows_checked: this.problem ? 0 : this.rows,
      sample: this.sample,
      message: this.problem ?? this.describe(),
    });
  }

  /** Checks the rows of one batch; `data` holds this.columns' data in order. Call fail() per failing row. */
  protected abstract checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void;

  /** The message of a check that ran (passed or failed). */
  protected abstract describe(): string;

  /** Counts a failing row of the current batch and samples it while the sample has room. */
  protected fail(batch: arrow.RecordBatch, row: number): void {
    this.failing++;
    if (this.sample.length < this.sampleLimit) this.sample.push(this.sampleOf(batch, row));
  }

  /** Counts failing rows found after their batches went (their samples made then), keeping samples while the sample has room. */
  protected addFailures(count: number, samples: readonly SampleRow[]): void {
    this.failing += count;
    for (const s of samples) if (this.sample.length < this.sampleLimit) this.sample.push(s);
  }

  /** A sample of row `row` of the batch, as fail() keeps it. */
  protected sampleOf(batch: arrow.RecordBatch, row: number): SampleRow {
    return this.sampleAt(batch, row, this.rows);
  }

  /** A sample of row `row` of a batch read again, whose first row is partition row `firstRow`. */
  protected sampleAt(batch: arrow.RecordBatch, row: number, firstRow: number): SampleRow {
    return sampleRowOf(batch, this.sampleColumns, row, firstRow + row);
  }

  private findMissing(tableColumns: readonly string[]): void {
    const have = new Set(tableColumns);
    const missing = this.columns.filter((c) => !have.has(c));
    if (missing.length) this.problem = missingColumnsMessage(this.config.table, missing, tableColumns);
  }
}

/** "fact_sales has no column "foo" (its columns: a, b)". */
export function missingColumnsMessage(table: string, missing: readonly string[], tableColumns: readonly string[]): string {
  const what = missing.length === 1 ? `no column "${missing[0]}"` : `no columns ${missing.map((m) => `"${m}"`).join(', ')}`;
  return `${table} has ${what} (its columns: ${tableColumns.join(', ') || 'none'})`;
}

/** "1,234" */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
