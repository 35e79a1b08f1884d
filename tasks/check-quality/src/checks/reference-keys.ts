import type * as arrow from 'apache-arrow';
import { columnData, keyReaderOf, type KeyValue } from './column-values';

/**
 * The key set of a referenced table's column, or why it could not be read (no partition, no such
 * column). A relationships check given a problem fails with it.
 */
export type ReferenceKeys =
  | { readonly table: string; readonly column: string; readonly keys: ReadonlySet<KeyValue>; readonly problem?: undefined }
  | { readonly table: string; readonly column: string; readonly problem: string; readonly keys?: undefined };

/**
 * Collects the distinct non-null values of one column of a referenced table (a dimension's key)
 * from its batches. Dimensions are small, so a plain Set does (V8 caps a Set at 16.7 M entries).
 */
export class ReferenceKeyCollector {
  private readonly keys = new Set<KeyValue>();
  private problem?: string;

  constructor(
    readonly table: string,
    readonly column: string,
  ) {}

  consume(batch: arrow.RecordBatch): void {
    if (this.problem) return;
    const data = columnData(batch, this.column);
    if (!data) {
      this.problem = `${this.table} has no column "${this.column}" (its columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`;
      return;
    }
    const read = keyReaderOf(data);
    for (let row = 0; row < batch.numRows; row++) {
      const v = read(row);
      if (v !== null) this.keys.add(v);
    }
  }

  finish(): ReferenceKeys {
    return this.problem
      ? { table: this.table, column: this.column, problem: this.problem }
      : { table: this.table, column: this.column, keys: this.keys };
  }
}

/** Builds ReferenceKeys from a list of values, for tests and callers that already hold them. */
export function referenceKeysOf(table: string, column: string, values: Iterable<KeyValue>): ReferenceKeys {
  return { table, column, keys: new Set(values) };
}
