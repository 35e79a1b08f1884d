import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { isNullAt, nullBitsOf } from './column-values';
import type { CheckOptions } from './quality-check-result';

/** not_null: a row fails when any of the columns is null. */
export class NotNullCheck extends ColumnCheck {
  private readonly nullsPerColumn: number[];

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
    this.nullsPerColumn = this.columns.map(() => 0);
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const nulls = data.map(nullBitsOf);
    // Most batches have no null at all: Arrow knows each column's null count, so skip the rows.
    if (nulls.every((n) => !n)) return;
    nulls.forEach((n, c) => {
      if (n) this.nullsPerColumn[c]! += data[c]!.nullCount;
    });
    for (let row = 0; row < batch.numRows; row++) {
      for (const n of nulls) {
        if (n && isNullAt(n, row)) {
          this.fail(batch, row);
          break;
        }
      }
    }
  }

  protected describe(): string {
    const cols = this.columns.join(', ');
    if (this.failing === 0) return `no null in ${cols} over ${formatCount(this.rows)} rows`;
    const per = this.columns
      .map((c, i) => [c, this.nullsPerColumn[i]!] as const)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c}: ${formatCount(n)}`)
      .join(', ');
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows have a null (${per})`;
  }
}
