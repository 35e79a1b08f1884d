import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { RowKeys } from './key-encoder';
import { KeySet } from '@salesflow/batches';
import type { CheckOptions } from './quality-check-result';

/**
 * unique: the columns together form a key no two rows share. Each row whose key was already seen
 * fails (the first occurrence does not). As in SQL, a key with a null in it is not compared:
 * not_null is the check for nulls. Holds every distinct key of the partition, in a compact KeySet.
 */
export class UniqueCheck extends ColumnCheck {
  /** Made at the first batch, sized from the table's row count and that batch's key lengths. */
  private seen?: KeySet;
  private nullKeys = 0;
  private readonly expectedRows: number;

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
    this.expectedRows = opts?.expectedRows ?? 0;
  }

  /** A set sized for every row's key, so it never grows (growing holds old and new arrays at once). */
  private sizedSet(keys: RowKeys, rows: number): KeySet {
    const sampled = Math.min(rows, 1024);
    let bytes = 0;
    for (let row = 0; row < sampled; row++) {
      keys.key(row);
      bytes += keys.end - keys.start;
    }
    const expected = Math.max(this.expectedRows, rows);
    // 10% above the first rows' mean length: keys grow a little (more digits) along a table.
    return new KeySet(expected, sampled ? (bytes / sampled) * 1.1 * expected : undefined);
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const keys = new RowKeys(data);
    const checkNulls = !keys.noNulls;
    const seen = (this.seen ??= checkNulls ? new KeySet(Math.max(this.expectedRows, 1024)) : this.sizedSet(keys, batch.numRows));
    for (let row = 0; row < batch.numRows; row++) {
      if (checkNulls && keys.hasNull(row)) {
        this.nullKeys++;
        continue;
      }
      keys.key(row);
      if (!seen.add(keys.bytes, keys.start, keys.end)) this.fail(batch, row);
    }
  }

  protected describe(): string {
    const key = this.columns.length === 1 ? this.columns[0]! : `(${this.columns.join(', ')})`;
    const nulls = this.nullKeys ? `; ${formatCount(this.nullKeys)} rows with a null in the key were not compared` : '';
    const distinct = this.seen?.size ?? 0;
    if (this.failing === 0) return `${formatCount(distinct)} distinct ${key} over ${formatCount(this.rows)} rows${nulls}`;
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows repeat a ${key} already seen (${formatCount(distinct)} distinct)${nulls}`;
  }
}
