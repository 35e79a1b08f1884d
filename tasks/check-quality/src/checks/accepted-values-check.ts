import type { QualityCheckConfig } from '@salesflow/config';
import type { KeyValue } from './column-values';
import type { CheckOptions } from './quality-check-result';
import { ValueCheck } from './value-check';

/**
 * accepted_values: every non-null value is one of `values`. A value written 1 in YAML also
 * accepts "1" in a string column and the other way round, and booleans match "true"/"false".
 */
export class AcceptedValuesCheck extends ValueCheck {
  private readonly accepted = new Set<KeyValue>();

  constructor(config: QualityCheckConfig, opts?: CheckOptions) {
    super(config, opts);
    for (const v of config.values ?? []) {
      const text = String(v);
      this.accepted.add(text);
      if (typeof v === 'number') this.accepted.add(v);
      else if (typeof v === 'string' && text.trim() !== '' && Number.isFinite(Number(text))) this.accepted.add(Number(text));
    }
  }

  protected accepts(value: KeyValue): boolean {
    return this.accepted.has(value);
  }

  protected rule(): string {
    const shown = (this.config.values ?? []).slice(0, 10).map(String);
    return `in [${shown.join(', ')}${(this.config.values?.length ?? 0) > 10 ? ', …' : ''}]`;
  }
}
