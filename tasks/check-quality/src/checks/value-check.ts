import type * as arrow from 'apache-arrow';
import { ColumnCheck, formatCount } from './column-check';
import { keyReaderOf, type KeyValue } from './column-values';

/**
 * What accepted_values, range and regex share: each non-null value of each column either passes
 * a test or not, and a row fails when any of its values fails. Nulls are not checked (not_null
 * is the check for them), and are counted for the message.
 */
export abstract class ValueCheck extends ColumnCheck {
  protected nulls = 0;
  protected badValues = 0;

  /** Whether one non-null value passes. */
  protected abstract accepts(value: KeyValue): boolean;

  /** The rule in words, for the message: "in [web, store]", "within [0, 100]". */
  protected abstract rule(): string;

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const readers = data.map(keyReaderOf);
    for (let row = 0; row < batch.numRows; row++) {
      let bad = false;
      for (const read of readers) {
        const v = read(row);
        if (v === null) this.nulls++;
        else if (!this.accepts(v)) {
          this.badValues++;
          bad = true;
        }
      }
      if (bad) this.fail(batch, row);
    }
  }

  protected describe(): string {
    const cols = this.columns.join(', ');
    const nulls = this.nulls ? `; ${formatCount(this.nulls)} null values not checked` : '';
    if (this.failing === 0) return `every ${cols} of ${formatCount(this.rows)} rows is ${this.rule()}${nulls}`;
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows have a ${cols} not ${this.rule()}${nulls}`;
  }
}
