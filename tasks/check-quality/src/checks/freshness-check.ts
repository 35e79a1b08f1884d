import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { keyReaderOf } from './column-values';
import { rowsInNewerBatches, type CheckOptions, type QualityCheckResult } from './quality-check-result';

const HOUR_MS = 3_600_000;

/**
 * freshness: the newest value of a timestamp or date column is at most max_age_hours before the
 * end of ds (ds + 1 day, 00:00 UTC), i.e. the day's data really arrived. Fails when the column has
 * no value at all. failing_rows is then the rows checked (none of them is recent enough). A fact
 * partition left empty because newer batches carry all its rows passes: newer is fresher.
 */
export class FreshnessCheck extends ColumnCheck {
  private newest = -Infinity;
  private readonly dsEnd: number;
  private readonly inNewer: number;

  constructor(config: QualityCheckConfig, opts: CheckOptions = {}) {
    super(config, opts);
    this.inNewer = rowsInNewerBatches(opts.context);
    const ds = opts.context?.ds;
    this.dsEnd = ds ? Date.parse(`${ds}T00:00:00Z`) + 24 * HOUR_MS : NaN;
    if (!ds && !this.problem) this.problem = `${this.name}: freshness needs the ds it checks`;
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const read = keyReaderOf(data[0]!);
    let newest = this.newest;
    for (let row = 0; row < batch.numRows; row++) {
      const v = read(row);
      if (typeof v === 'number' && v > newest) newest = v;
    }
    this.newest = newest;
  }

  override finish(): QualityCheckResult {
    if (!this.problem && !this.allInNewer() && !(this.ageHours() <= this.config.max_age_hours!)) this.failing = Math.max(this.rows, 1);
    return super.finish();
  }

  private allInNewer(): boolean {
    return this.rows === 0 && this.inNewer > 0;
  }

  private ageHours(): number {
    return (this.dsEnd - this.newest) / HOUR_MS;
  }

  protected describe(): string {
    const col = this.columns[0];
    if (this.allInNewer()) return `no rows here: all ${formatCount(this.inNewer)} rows of this batch are now in newer batches`;
    if (this.newest === -Infinity) return `${col} has no value in ${formatCount(this.rows)} rows`;
    const newest = new Date(this.newest).toISOString();
    const age = this.ageHours().toFixed(1);
    return this.failing
      ? `newest ${col} ${newest} is ${age} h before the end of ds, more than ${this.config.max_age_hours} h`
      : `newest ${col} ${newest} is ${age} h before the end of ds, within ${this.config.max_age_hours} h`;
  }
}
