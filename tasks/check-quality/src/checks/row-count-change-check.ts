import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import type { CheckContext, CheckOptions, QualityCheckResult } from './quality-check-result';

/**
 * row_count_change: the partition's rows did not drop by more than max_drop_pct, nor grow by more
 * than max_growth_pct, against the table's latest committed partition before ds. The first ds of
 * a table has nothing to compare with and passes. failing_rows is the change in rows.
 */
export class RowCountChangeCheck extends ColumnCheck {
  private readonly previous?: CheckContext['previous'];
  private change = 0;

  constructor(config: QualityCheckConfig, opts: CheckOptions = {}) {
    super({ ...config, columns: [] }, opts);
    this.previous = opts.context?.previous;
  }

  protected checkBatch(): void {
    // Rows are counted by ColumnCheck.consume.
  }

  override finish(): QualityCheckResult {
    const prev = this.previous;
    if (prev) {
      this.change = prev.rows === 0 ? (this.rows === 0 ? 0 : Infinity) : ((this.rows - prev.rows) / prev.rows) * 100;
      const { max_drop_pct: drop, max_growth_pct: growth } = this.config;
      if ((drop !== undefined && -this.change > drop) || (growth !== undefined && this.change > growth)) this.failing = Math.abs(this.rows - prev.rows);
    }
    return super.finish();
  }

  protected describe(): string {
    const prev = this.previous;
    if (!prev) return `${formatCount(this.rows)} rows; no earlier partition to compare with`;
    const pct = Number.isFinite(this.change) ? `${this.change >= 0 ? '+' : ''}${this.change.toFixed(1)}%` : 'from none';
    const limits = [this.config.max_drop_pct !== undefined && `-${this.config.max_drop_pct}%`, this.config.max_growth_pct !== undefined && `+${this.config.max_growth_pct}%`]
      .filter(Boolean)
      .join(' / ');
    const verdict = this.failing ? 'beyond' : 'within';
    return `${formatCount(this.rows)} rows vs ${formatCount(prev.rows)} on ${prev.ds} (${pct}), ${verdict} ${limits}`;
  }
}
