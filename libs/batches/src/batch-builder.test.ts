import { BatchBuilder, batchRows, batchToObjects, columnsOf, type ColumnDef } from './index';

const cols: ColumnDef[] = [
  { name: 's', kind: 'string' },
  { name: 'i', kind: 'int32' },
  { name: 'l', kind: 'int64' },
  { name: 'f', kind: 'float64' },
  { name: 'b', kind: 'bool' },
  { name: 'd', kind: 'date' },
  { name: 't', kind: 'timestamp' },
];

describe('BatchBuilder', () => {
  it('builds a batch of every kind with nulls', () => {
    const b = new BatchBuilder(cols);
    b.appendRow(['a', 1, 2n, 1.5, true, Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 2, 3, 4, 5)]);
    b.appendObject({ s: null });
    const batch = b.finish();
    expect(batch.numRows).toBe(2);
    expect(b.length).toBe(0);
    const [r0, r1] = batchToObjects(batch);
    expect(r0).toEqual({ s: 'a', i: 1, l: 2n, f: 1.5, b: true, d: Date.UTC(2026, 0, 2), t: Date.UTC(2026, 0, 2, 3, 4, 5) });
    expect(Object.values(r1!).every((v) => v === null)).toBe(true);
    expect(columnsOf(batch.schema).map((c) => c.kind)).toEqual(cols.map((c) => c.kind));
  });

  it('batchRows splits a stream into bounded batches', async () => {
    const sizes: number[] = [];
    const rows = Array.from({ length: 2500 }, (_, i) => [String(i), i]);
    for await (const b of batchRows(cols.slice(0, 2), rows, 1000)) sizes.push(b.numRows);
    expect(sizes).toEqual([1000, 1000, 500]);
  });
});

describe('column writers', () => {
  it('grow past their first buffers and keep every value, multi-byte text and nulls included', () => {
    const b = new BatchBuilder(cols);
    const expected: unknown[][] = [];
    for (let i = 0; i < 5000; i++) {
      const row = i % 11 === 0
        ? [null, null, null, null, null, null, null]
        : [`é€😀-${i}`.repeat(1 + (i % 5)), i - 2500, BigInt(i) * 10_000_000_000n, i / 7, i % 3 === 0, Date.UTC(2020, 0, 1 + (i % 900)), Date.UTC(2020, 0, 1) + i * 1001];
      expected.push(row);
      b.appendRow(row);
    }
    const rows = batchToObjects(b.finish()).map((r) => Object.values(r));
    expect(rows).toEqual(expected);
    b.appendRow(['again', 1, 1n, 1, false, 0, 0]);
    expect(batchToObjects(b.finish())).toEqual([{ s: 'again', i: 1, l: 1n, f: 1, b: false, d: 0, t: 0 }]);
  });
});
