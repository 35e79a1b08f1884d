import * as arrow from 'apache-arrow';
import { assembleBatch } from './assemble-batch';
import { schemaOf, type ColumnDef } from './column-kinds';
import { columnWriterOf, type ColumnWriter } from './column-writers';

/**
 * Builds Arrow record batches row by row for a fixed set of columns. Values must already be of
 * the column's JS type (see ColumnKind); null and undefined are nulls.
 */
export class BatchBuilder {
  readonly schema: arrow.Schema;
  readonly columns: readonly ColumnDef[];
  private builders: ColumnWriter[];
  private rows = 0;

  constructor(columns: readonly ColumnDef[]) {
    this.columns = columns;
    this.schema = schemaOf(columns);
    this.builders = this.makeBuilders();
  }

  /** Rows appended since the last finish(). */
  get length(): number {
    return this.rows;
  }

  /** Appends one row given as values in column order. */
  appendRow(values: readonly unknown[]): void {
    for (let i = 0; i < this.builders.length; i++) this.builders[i]!.append(values[i] ?? null);
    this.rows++;
  }

  /** Appends one row given as an object keyed by column name. */
  appendObject(row: Readonly<Record<string, unknown>>): void {
    for (let i = 0; i < this.builders.length; i++) this.builders[i]!.append(row[this.columns[i]!.name] ?? null);
    this.rows++;
  }

  /**
   * Appends `count` rows column by column: `fill` gets the column writers (in column order, of
   * the classes columnWriterOf gives for each kind) and must append exactly `count` values to
   * each. Lets callers that hold columns skip building a row array per row.
   */
  appendColumns(count: number, fill: (writers: readonly ColumnWriter[]) => void): void {
    fill(this.builders);
    const expected = this.rows + count;
    const wrong = this.builders.findIndex((b) => b.length !== expected);
    if (wrong >= 0) {
      throw new Error(`appendColumns: column "${this.columns[wrong]!.name}" got ${this.builders[wrong]!.length - this.rows} values, not ${count}`);
    }
    this.rows = expected;
  }

  /** Returns the rows appended so far as one batch and starts a new one. */
  finish(): arrow.RecordBatch {
    const data = this.builders.map((b) => b.finish());
    const batch = assembleBatch(this.schema, data, this.rows);
    this.rows = 0;
    return batch;
  }

  private makeBuilders(): ColumnWriter[] {
    return this.columns.map((c) => columnWriterOf(c.kind, c));
  }
}

/**
 * Pulls rows from an iterable into batches of at most `batchSize` rows, so callers hold one
 * batch at a time whatever the input size.
 */
export async function* batchRows(
  columns: readonly ColumnDef[],
  rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  batchSize: number,
): AsyncGenerator<arrow.RecordBatch> {
  const b = new BatchBuilder(columns);
  for await (const row of rows) {
    b.appendRow(row);
    if (b.length >= batchSize) yield b.finish();
  }
  if (b.length > 0) yield b.finish();
}
