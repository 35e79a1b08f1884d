import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { rowsInNewerBatches, type CheckOptions, type QualityCheckResult } from './quality-check-result';

/**
 * row_count: the partition's rows lie within [min, max] (either bound optional). Its failing_rows
 * is how far outside: the rows missing below min, or the rows beyond max. Reads no column
 * (columns in its config are ignored). On the fact table it counts the rows the batch delivered:
 * those in the partition plus those newer batches now carry (moved out after the build, or left
 * out by it), so a re-run of a day whose corrections all arrived later is not an empty day.
 */
export class RowCountCheck extends ColumnCheck {
  /** Rows of this batch that newer batches carry now (fact table only). */
  private readonly inNewer: number;

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super({ ...config, columns: [] }, opts);
    this.inNewer = rowsInNewerBatches(opts?.context);
  }

  protected checkBatch(): void {
    // Rows are counted by ColumnCheck.consume; the bounds are compared once, in finish().
  }

  override finish(): QualityCheckResult {
    const { min, max } = this.config;
    const delivered = this.rows + this.inNewer;
    if (min !== undefined && delivered < min) this.failing = min - delivered;
    else if (max !== undefined && delivered > max) this.failing = delivered - max;
    return super.finish();
  }

  protected describe(): string {
    const { min, max } = this.config;
    const delivered = this.rows + this.inNewer;
    const bounds = `[${formatCount(min ?? 0)}, ${max === undefined ? '∞)' : formatCount(max) + ']'}`;
    const counted = this.inNewer ? `${formatCount(delivered)} rows delivered (${formatCount(this.rows)} here, ${formatCount(this.inNewer)} now in newer batches)` : `${formatCount(this.rows)} rows`;
    if (this.failing === 0) return `${counted}, within ${bounds}`;
    return min !== undefined && delivered < min ? `${counted}, fewer than min ${formatCount(min)}` : `${counted}, more than max ${formatCount(max!)}`;
  }
}
