import { SAMPLE_FILES } from './sample-schema';

/** What is wrong with a dirty row. */
export type DirtyRowKind =
  | 'blank_first_name'
  | 'untrimmed_mixed_case_email'
  | 'untrimmed_name'
  | 'duplicate_row'
  | 'unparseable_timestamp'
  | 'non_numeric_quantity';

/** One deliberately dirty row of the sample data. */
export interface DirtyRow {
  /** File the row is in. */
  readonly file: (typeof SAMPLE_FILES)[keyof typeof SAMPLE_FILES];
  /** customer_id or transaction_id of the row. */
  readonly id: string;
  /** Column holding the dirty value (the whole row for a duplicate). */
  readonly column: string;
  readonly kind: DirtyRowKind;
  /**
   * True when no cleaning can save the row and a correct pipeline rejects it;
   * false when it is fixable (trim, lowercase, null) or, for the duplicate, dropped as a copy.
   */
  readonly invalid: boolean;
  /** The exact value written, when it does not depend on the clean one. */
  readonly value?: string;
  /** The dirty value, or how it is derived from the clean one. */
  readonly description: string;
}

/**
 * Every dirty row the generator writes, at fixed ids whatever the seed or scale,
 * so expected totals are easy to compute. 10 entries in all:
 *
 * customers.csv (7 rows, all still valid customers after cleaning; data lines = customers):
 * - CUST000007 first_name is "" (empty).
 * - CUST000123 first_name is "   " (three spaces, written quoted).
 * - CUST000042, CUST000100, CUST000250 email is mixed case with two leading and one
 *   trailing space, e.g. "  John.Smith42@Example.COM "; trim + lowercase restores it.
 * - CUST000055 first_name has surrounding spaces ("  Mary "), CUST000200 last_name too (" Smith  ").
 *
 * sales_transactions.csv (3 rows; data lines = transactions + 1):
 * - TXN00000250 quantity is the word "two"; its amounts are those of quantity 2. Invalid.
 * - TXN00000500 transaction_timestamp is "2026-13-45 25:61"; the rest of the row is sound. Invalid.
 * - TXN00000750 is written twice: its exact line is repeated right after TXN00001000.
 *
 * So "clean unique" transactions = transactions - 2, and the file has transactions + 1 data lines.
 */
export const DIRTY_ROWS: readonly DirtyRow[] = Object.freeze(
  [
    { file: SAMPLE_FILES.customers, id: 'CUST000007', column: 'first_name', kind: 'blank_first_name', invalid: false, value: '', description: 'first_name is "" (empty)' },
    { file: SAMPLE_FILES.customers, id: 'CUST000042', column: 'email', kind: 'untrimmed_mixed_case_email', invalid: false, description: 'email as "  First.Last42@Example.COM " (mixed case, 2 leading and 1 trailing space)' },
    { file: SAMPLE_FILES.customers, id: 'CUST000055', column: 'first_name', kind: 'untrimmed_name', invalid: false, description: 'first_name with 2 leading and 1 trailing space, e.g. "  Mary "' },
    { file: SAMPLE_FILES.customers, id: 'CUST000100', column: 'email', kind: 'untrimmed_mixed_case_email', invalid: false, description: 'email as "  First.Last100@Example.COM " (mixed case, 2 leading and 1 trailing space)' },
    { file: SAMPLE_FILES.customers, id: 'CUST000123', column: 'first_name', kind: 'blank_first_name', invalid: false, value: '   ', description: 'first_name is "   " (three spaces)' },
    { file: SAMPLE_FILES.customers, id: 'CUST000200', column: 'last_name', kind: 'untrimmed_name', invalid: false, description: 'last_name with 1 leading and 2 trailing spaces, e.g. " Smith  "' },
    { file: SAMPLE_FILES.customers, id: 'CUST000250', column: 'email', kind: 'untrimmed_mixed_case_email', invalid: false, description: 'email as "  First.Last250@Example.COM " (mixed case, 2 leading and 1 trailing space)' },
    { file: SAMPLE_FILES.transactions, id: 'TXN00000250', column: 'quantity', kind: 'non_numeric_quantity', invalid: true, value: 'two', description: 'quantity is "two"; unit_price, tax_amount and total_amount are those of quantity 2' },
    { file: SAMPLE_FILES.transactions, id: 'TXN00000500', column: 'transaction_timestamp', kind: 'unparseable_timestamp', invalid: true, value: '2026-13-45 25:61', description: 'transaction_timestamp is "2026-13-45 25:61"' },
    { file: SAMPLE_FILES.transactions, id: 'TXN00000750', column: '*', kind: 'duplicate_row', invalid: false, description: 'the identical line is written again right after TXN00001000' },
  ].map((row) => Object.freeze(row as DirtyRow)),
);

/** The transaction after which the duplicate line is written. */
export const DUPLICATE_AFTER_TRANSACTION_ID = 'TXN00001000';

/** The dirty rows of one file by id, for the generators. */
export function dirtyRowsById(file: DirtyRow['file']): ReadonlyMap<string, DirtyRow> {
  return new Map(DIRTY_ROWS.filter((row) => row.file === file).map((row) => [row.id, row]));
}
