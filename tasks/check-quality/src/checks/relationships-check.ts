import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { ColumnCheck, formatCount } from './column-check';
import { keyReaderOf } from './column-values';
import type { CheckOptions } from './quality-check-result';
import type { ReferenceKeys } from './reference-keys';

/**
 * relationships: every non-null value of the column exists in the referenced table's column
 * (a fact's foreign key in its dimension). Nulls are ignored, as in SQL: not_null catches them.
 * With several columns, each is looked up in the same referenced column and a row fails when any misses.
 */
export class RelationshipsCheck extends ColumnCheck {
  private nulls = 0;
  private readonly target: string;

  constructor(
    config: QualityCheckConfig,
    private readonly reference: ReferenceKeys | undefined,
    opts?: CheckOptions,
  ) {
    super(config, opts);
    this.target = config.references ? `${config.references.table}.${config.references.column}` : '(no references)';
    if (!this.problem) {
      if (!config.references) this.problem = `${this.name}: relationships needs references: { table, column }`;
      else if (!reference) this.problem = `${this.name}: the keys of ${this.target} were not loaded`;
      else if (reference.problem) this.problem = `cannot check against ${this.target}: ${reference.problem}`;
    }
  }

  protected checkBatch(batch: arrow.RecordBatch, data: readonly arrow.Data[]): void {
    const keys = this.reference!.keys!;
    const readers = data.map(keyReaderOf);
    if (readers.length === 1) {
      // The common case, kept free of the inner loop.
      const read = readers[0]!;
      for (let row = 0; row < batch.numRows; row++) {
        const v = read(row);
        if (v === null) this.nulls++;
        else if (!keys.has(v)) this.fail(batch, row);
      }
      return;
    }
    for (let row = 0; row < batch.numRows; row++) {
      let bad = false;
      for (const read of readers) {
        const v = read(row);
        if (v === null) this.nulls++;
        else if (!keys.has(v)) bad = true;
      }
      if (bad) this.fail(batch, row);
    }
  }

  protected describe(): string {
    const cols = this.columns.join(', ');
    const known = formatCount(this.reference?.keys?.size ?? 0);
    const nulls = this.nulls ? `; ${formatCount(this.nulls)} null values ignored` : '';
    if (this.failing === 0) return `every ${cols} of ${formatCount(this.rows)} rows is in ${this.target} (${known} keys)${nulls}`;
    return `${formatCount(this.failing)} of ${formatCount(this.rows)} rows have a ${cols} not in ${this.target} (${known} keys)${nulls}`;
  }
}
