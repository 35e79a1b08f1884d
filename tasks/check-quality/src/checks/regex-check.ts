import type { QualityCheckConfig } from '@salesflow/config';
import type { KeyValue } from './column-values';
import type { CheckOptions } from './quality-check-result';
import { ValueCheck } from './value-check';

/** regex: every non-null value, as text, matches `pattern` (a JavaScript regular expression, unicode mode). */
export class RegexCheck extends ValueCheck {
  private readonly re: RegExp;

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
    // validateConfig has compiled it already; a bad pattern here is a programming error.
    this.re = new RegExp(config.pattern ?? '', 'u');
  }

  protected accepts(value: KeyValue): boolean {
    return this.re.test(typeof value === 'string' ? value : String(value));
  }

  protected rule(): string {
    return `matching /${this.config.pattern}/`;
  }
}
