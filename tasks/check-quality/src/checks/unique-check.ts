import type * as arrow from 'apache-arrow';
import { RowKeys } from '@salesflow/batches';
import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { DuplicateFinder, type Duplicates } from './duplicate-finder';
import type { CheckOptions, QualityCheckResult, SampleRow } from './quality-check-result';

/**
 * unique: the columns together form a key no two rows share. Each row whose key was already seen
 * fails (the first occurrence does not). As in SQL, a key with a null in it is not compared:
 * not_null is the check for nulls. Keys are held in a compact KeySet, or, for a table of more than
 * about half a million rows, spilled to disk by hash and settled at the end (DuplicateFinder), so
 * the check's memory stays flat whatever the table's size. Spilled, the repeats are known only at
 * the end: rowsToSample() names the first ones and runChecks reads them again for their samples.
 */
export class UniqueCheck extends ColumnCheck {
  /** Made at the first batch, sized from the table's row count and that batch's key lengths. */
  private finder?: DuplicateFinder;
  private found?: Duplicates;
  /** Samples made from the second read, by row. */
  private readonly resampled = new Map<number, SampleRow>();
  private counted = false;
  private nullKeys = 0;
  private readonly expectedRows: number;
  private readonly tmpDir?: string;
  private readonly keysInMemory?: number;

  /** opts.keysInMemory: keys held before they spill (default KEYS_IN_MEMORY). */
  constructor(config: QualityCheckConfig, opts?: CheckOptions & { readonly tmpDir?: string; readonly keysInMemory?: number }) {
    super(config, opts);
    this.expectedRows = opts?.expectedRows ?? 0;
    this.tmpDir = opts?.tmpDir;
    this.keysInMemory = opts?.keysInMemory;
  }

  /** A finder sized for every row's key, so an in-memory set never grows (growing holds old and new arrays at once). */
  private sizedFinder(keys: RowKeys, rows: number, nulls: boolean): DuplicateFinder {
    const expected = Math.max(this.expectedRows, rows);
    const sampled = nulls ? 0 : Math.min(rows, 1024);
    let bytes = 0;
    for (let row = 0; row < sampled; row++) {
      keys.key(row);
      bytes += keys.end - keys.start;
    }
    // 10% above the first rows' mean length: keys grow a little (more digits) along a table.
    return new DuplicateFinder(expected, this.sampleLimit, { tmpDir: this.tmpDir, keysInMemory: this.keysInMemory, expectedKeyBytes: sampled ? (bytes / sampled) * 1.1 * expected : undefined });
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const keys = new RowKeys(data);
    const checkNulls = !keys.noNulls;
    const finder = (this.finder ??= this.sizedFinder(keys, batch.numRows, checkNulls));
    const first = this.rows;
    const sampleOf = (row: number) => this.sampleOf(batch, row);
    for (let row = 0; row < batch.numRows; row++) {
      if (checkNulls && keys.hasNull(row)) {
        this.nullKeys++;
        continue;
      }
      keys.key(row);
      finder.add(keys.bytes, keys.start, keys.end, first + row, sampleOf, row);
    }
  }

  rowsToSample(): readonly number[] {
    return this.settle()?.rowsToSample ?? [];
  }

  sampleFrom(batch: arrow.RecordBatch, firstRow: number): void {
    for (const row of this.rowsToSample()) {
      if (row >= firstRow && row < firstRow + batch.numRows) this.resampled.set(row, this.sampleAt(batch, row - firstRow, firstRow));
    }
  }

  override finish(): QualityCheckResult {
    const found = this.settle();
    if (found && !this.counted) {
      this.counted = true;
      const samples = found.rowsToSample.length ? found.rowsToSample.map((row) => this.resampled.get(row)).filter((s): s is SampleRow => s !== undefined) : found.samples;
      this.addFailures(found.repeated, samples);
    }
    return super.finish();
  }

  /** Settles the finder once (every batch in). */
  private settle(): Duplicates | undefined {
    if (this.finder && !this.found) this.found = this.finder.finish();
    return this.found;
  }

  dispose(): void {
    this.finder?.dispose();
  }

  protected describe(): string {
    const key = this.columns.length === 1 ? this.columns[0]! : `(${this.columns.join(', ')})`;
    const nulls = this.nullKeys ? `; ${formatCount(this.nullKeys)} rows with a null in the key were not compared` : '';
    const distinct = this.found?.distinct ?? 0;
    if (this.failing === 0) return `${formatCount(distinct)} distinct ${key} over ${formatCount(this.rows)} rows${nulls}`;
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows repeat a ${key} already seen (${formatCount(distinct)} distinct)${nulls}`;
  }
}
