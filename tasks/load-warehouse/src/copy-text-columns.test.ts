import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { copyTextValue } from './copy-text';
import { copyTextColumns } from './copy-text-columns';
import { toSqlValue } from './to-sql-value';
import type { WarehouseColumn } from './warehouse-tables';

const DEFS: ColumnDef[] = [
  { name: 's', kind: 'string' },
  { name: 'i', kind: 'int32' },
  { name: 'big', kind: 'int64' },
  { name: 'd', kind: 'float64' },
  { name: 'f', kind: 'float64' },
  { name: 'b', kind: 'bool' },
  { name: 'day', kind: 'date' },
  { name: 'ts', kind: 'timestamp' },
];
const COLUMNS: WarehouseColumn[] = [
  { name: 's', type: 'text' },
  { name: 'i', type: 'int' },
  { name: 'big', type: 'int' },
  { name: 'd', type: 'decimal', scale: 2 },
  { name: 'f', type: 'float' },
  { name: 'b', type: 'bool' },
  { name: 'day', type: 'date' },
  { name: 'ts', type: 'timestamp' },
];

function batchOf(rows: unknown[][]) {
  const b = new BatchBuilder(DEFS);
  for (const r of rows) b.appendRow(r);
  return b.finish();
}

describe('copyTextColumns', () => {
  const rows: unknown[][] = [
    ['plain', 1, 5n, 19.99, 0.5, true, Date.UTC(2026, 10, 26), Date.UTC(2026, 10, 26, 7, 8, 9, 12)],
    ['tab\there, line\nand \\ slash\r', -2, -7n, 1.005, -1e-7, false, Date.UTC(1970, 0, 1), Date.UTC(1969, 11, 31, 23, 59, 59, 999)],
    [null, null, null, null, null, null, null, null],
    ['', 0, 0n, 123456789.125, 1e21, true, Date.UTC(9999, 11, 31), Date.UTC(2026, 0, 1, 0, 0, 0, 5)],
    ['é ü 中', 2147483647, 9007199254740991n, -0.125, 3, false, Date.UTC(2000, 1, 29), Date.UTC(2026, 5, 30, 23, 0, 0, 50)],
  ];

  it('writes a Decimal128 column as its digits, every digit kept', () => {
    const b = new BatchBuilder([{ name: 'd', kind: 'decimal', precision: 18, scale: 2 }]);
    for (const v of ['1234567890123456.78', '-0.05', null, '19.99']) b.appendRow([v]);
    const { columns, problem } = copyTextColumns(b.finish(), [{ name: 'd', type: 'decimal', precision: 18, scale: 2 }]);
    expect(problem).toBeUndefined();
    expect(columns[0]).toEqual(['1234567890123456.78', '-0.05', '\\N', '19.99']);
  });

  it('writes what toSqlValue and copyTextValue write (doubles of older lakes as digits rounded half away from zero)', () => {
    const { columns, problem } = copyTextColumns(batchOf(rows), COLUMNS);
    expect(problem).toBeUndefined();
    const batch = batchOf(rows);
    COLUMNS.forEach((column, c) => {
      rows.forEach((_, r) => {
        const lake = batch.getChild(column.name)!.get(r);
        const expected = copyTextValue(toSqlValue(lake, column, 'postgres'));
        expect([column.name, r, columns[c]![r]]).toEqual([column.name, r, expected]);
      });
    });
    expect(columns[0]![1]).toBe('tab\\there, line\\nand \\\\ slash\\r');
    expect(columns[7]![1]).toBe('1969-12-31T23:59:59.999Z');
    expect(columns[6]![3]).toBe('9999-12-31');
    expect(columns[3]![1]).toBe('1.01');
  });

  it('names the row and column of a value the column cannot hold', () => {
    const bad = batchOf([rows[0]!, ['x', 1, 2n ** 60n, 1, 1, true, 0, 0]]);
    expect(copyTextColumns(bad, COLUMNS).problem).toEqual({ row: 1, column: 'big', message: expect.stringMatching(/not an integer/) });
    const nan = batchOf([['x', 1, 1n, NaN, 1, true, 0, 0]]);
    expect(copyTextColumns(nan, COLUMNS).problem).toEqual({ row: 0, column: 'd', message: expect.stringMatching(/not a finite number/) });
  });
});
