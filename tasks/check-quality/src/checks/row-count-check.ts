import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import type { CheckOptions, QualityCheckResult } from './quality-check-result';

/**
 * row_count: the partition's rows lie within [min, max] (either bound optional). Its failing_rows
 * is how far outside: the rows missing below min, or the rows beyond max. Reads no column
 * (columns in its config are ignored).
 */
export class RowCountCheck extends ColumnCheck {
  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super({ ...config, columns: [] }, opts);
  }

  protected checkBatch(): void {
    // Rows are counted by ColumnCheck.consume; the bounds are compared once, in finish().
  }

  override finish(): QualityCheckResult {
    const { min, max } = this.config;
    if (min !== undefined && this.rows < min) this.failing = min - this.rows;
    else if (max !== undefined && this.rows > max) this.failing = this.rows - max;
    return super.finish();
  }

  protected describe(): string {
    const { min, max } = this.config;
    const bounds = `[${formatCount(min ?? 0)}, ${max === undefined ? '∞)' : formatCount(max) + ']'}`;
    if (this.failing === 0) return `${formatCount(this.rows)} rows, within ${bounds}`;
    return min !== undefined && this.rows < min
      ? `${formatCount(this.rows)} rows, fewer than min ${formatCount(min)}`
      : `${formatCount(this.rows)} rows, more than max ${formatCount(max!)}`;
  }
}
