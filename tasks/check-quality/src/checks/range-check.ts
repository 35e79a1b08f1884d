import type { QualityCheckConfig } from '@salesflow/config';
import type { KeyValue } from './column-values';
import type { CheckOptions } from './quality-check-result';
import { ValueCheck } from './value-check';

/**
 * range: every non-null value lies within [min, max] (either bound optional, both inclusive).
 * Dates and timestamps compare as epoch milliseconds; a text value that is not a number fails.
 */
export class RangeCheck extends ValueCheck {
  private readonly min: number;
  private readonly max: number;

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
    this.min = config.min ?? -Infinity;
    this.max = config.max ?? Infinity;
  }

  protected accepts(value: KeyValue): boolean {
    const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
    return n >= this.min && n <= this.max; // NaN fails both
  }

  protected rule(): string {
    return `within [${this.config.min ?? '-∞'}, ${this.config.max ?? '∞'}]`;
  }
}
