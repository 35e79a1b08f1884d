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
  private readonly seen = new KeySet();
  private nullKeys = 0;

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const keys = new RowKeys(data);
    const seen = this.seen;
    const checkNulls = !keys.noNulls;
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
    if (this.failing === 0) return `${formatCount(this.seen.size)} distinct ${key} over ${formatCount(this.rows)} rows${nulls}`;
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows repeat a ${key} already seen (${formatCount(this.seen.size)} distinct)${nulls}`;
  }
}
