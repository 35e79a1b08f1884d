import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import type { CheckOptions, QualityCheckResult, SampleRow } from './quality-check-result';
import { reconcileRuns, type Reconciliation } from './reconcile-runs';

/**
 * reconciliation: the row counts of ingest, standardize, mask and build-star-schema for ds add
 * up (see reconcileRuns). Each broken balance is a sample row; failing_rows is the rows
 * unaccounted for, summed over the broken balances. Its table is the fact table; it reads no column.
 */
export class ReconciliationCheck extends ColumnCheck {
  private result?: Reconciliation;
  private readonly extra: SampleRow[] = [];

  constructor(
    config: QualityCheckConfig,
    private readonly opts: CheckOptions = {},
  ) {
    super({ ...config, columns: [] }, opts);
    if (!opts.context?.runReports) this.problem = `${this.name}: the run reports of ds were not loaded`;
  }

  protected checkBatch(): void {
    // Rows are counted by ColumnCheck.consume, to tie the reports to the partition checked.
  }

  override finish(): QualityCheckResult {
    const ctx = this.opts.context;
    if (!this.problem && ctx?.runReports) {
      this.result = reconcileRuns({ ds: ctx.ds, reports: ctx.runReports, factTable: this.config.table, factSource: ctx.factSource, factRows: this.rows, factMovedOut: ctx.factMovedOut });
      if (this.result.problems.length) this.problem = `cannot reconcile: ${this.result.problems.join('; ')}`;
      else
        this.result.balances.forEach((b, i) => {
          if (b.left === b.right) return;
          this.failing += Math.abs(b.left - b.right);
          if (this.extra.length < (this.opts.sampleLimit ?? 10)) this.extra.push({ _row: i, equation: b.equation, left: b.left, right: b.right, difference: b.left - b.right });
        });
    }
    const base = super.finish();
    return Object.freeze({ ...base, sample: Object.freeze([...this.extra]) });
  }

  protected describe(): string {
    const balances = this.result?.balances ?? [];
    const broken = balances.filter((b) => b.left !== b.right);
    if (broken.length === 0) return `${balances.length} row balances hold across ingest, standardize, mask and build-star-schema`;
    return `${broken.length} of ${balances.length} row balances broken, ${formatCount(this.failing)} rows unaccounted for: ${broken
      .map((b) => `${b.equation} (${formatCount(b.left)} vs ${formatCount(b.right)})`)
      .join('; ')}`;
  }
}
