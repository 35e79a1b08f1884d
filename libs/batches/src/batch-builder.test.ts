import { BatchBuilder, batchRows, batchToObjects, columnsOf, type ColumnDef, type ColumnWriter, type FixedWidthWriter, type Utf8Writer } from './index';

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

describe('validity', () => {
  it.each([1, 13, 1500, 5000])('keeps every value valid before a first null that arrives at row %i, and after it', (first) => {
    const b = new BatchBuilder(cols);
    const expected: unknown[][] = [];
    for (let i = 0; i < 6000; i++) {
      const row = i === first || (i > first && i % 7 === 0) ? [null, null, null, null, null, null, null] : [`t${i}`, i, BigInt(i), i / 2, i % 2 === 0, i * 86_400_000, i];
      expected.push(row);
      b.appendRow(row);
    }
    expect(batchToObjects(b.finish()).map((r) => Object.values(r))).toEqual(expected);
  });
});

describe('appendColumns', () => {
  it('appends through the typed writer methods the same rows appendRow gives, 64-bit values without BigInt included', () => {
    const rows: unknown[][] = [
      ['é😀', 7, -3n, 0.1, true, Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 2, 3, 4, 5, 6)],
      [null, null, null, null, null, null, null],
      ['x'.repeat(100), -2147483648, 2n ** 62n, -0, false, Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1],
      ['', 0, 0n, 1e300, true, 0, Number.MAX_SAFE_INTEGER],
      ['a', 1, -(2n ** 63n), -1.5, false, -86_400_000, -Number.MAX_SAFE_INTEGER],
      ['b', 2, 1n, 2.5, true, 86_400_000, -(2 ** 40) - 1.75],
    ];
    const byRow = new BatchBuilder(cols);
    rows.forEach((r) => byRow.appendRow(r));
    const byColumn = new BatchBuilder(cols);
    byColumn.appendRow(rows[0]!);
    byColumn.appendColumns(rows.length - 1, (writers) => {
      const [s, i, l, f, b, d, t] = writers as [Utf8Writer, FixedWidthWriter, FixedWidthWriter, FixedWidthWriter, ColumnWriter, FixedWidthWriter, FixedWidthWriter];
      for (const row of rows.slice(1)) {
        if (row[0] === null) s.appendNull();
        else {
          const bytes = Buffer.from(`..${row[0] as string}..`);
          s.appendUtf8(bytes, 2, bytes.length - 2);
        }
        for (const [w, v] of [[i, row[1]], [f, row[3]], [d, row[5]], [t, row[6]]] as const) v === null ? w.appendNull() : w.appendNumber(v as number);
        l.append(row[2]);
        b.append(row[4]);
      }
    });
    expect(byColumn.length).toBe(rows.length);
    const expected = batchToObjects(byRow.finish());
    expect(batchToObjects(byColumn.finish())).toEqual(expected);
    expect(expected[2]!.t).toBe(Date.UTC(1000, 0, 1) - 1);
    expect(expected[3]!.t).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('int64 and timestamp writers take numbers outside the safe range the way BigInt does', () => {
    const b = new BatchBuilder([{ name: 'l', kind: 'int64' }, { name: 't', kind: 'timestamp' }]);
    b.appendRow([2 ** 60, 2 ** 60 + 0.0]);
    b.appendRow([-(2 ** 62), 1.9]);
    const batch = b.finish();
    expect(batch.getChild('l')!.toArray()).toEqual(BigInt64Array.from([2n ** 60n, -(2n ** 62n)]));
    expect(batch.getChild('t')!.data[0]!.values).toEqual(BigInt64Array.from([2n ** 60n, 1n]));
    expect(() => b.appendRow([1.5, 0])).toThrow(RangeError);
  });

  it('appends runs of back-to-back texts, around nulls, as appendRow does', () => {
    const texts = ['a', 'bé', '', 'cc', '😀x', 'd'];
    const bytes = Buffer.from('..' + texts.join(''));
    const ends = Int32Array.from(texts.map((_, i) => 2 + Buffer.byteLength(texts.slice(0, i + 1).join(''))));
    const b = new BatchBuilder([{ name: 's', kind: 'string' }]);
    b.appendColumns(2198, ([w]) => {
      const s = w as Utf8Writer;
      s.appendNull();
      s.appendUtf8Run(bytes, 2, ends, 0, 3);
      for (let i = 0; i < 1096; i++) s.appendUtf8Run(bytes, ends[2]!, ends, 3, 2);
      s.appendNull();
      s.appendUtf8Run(bytes, ends[4]!, ends, 5, 1);
      s.appendUtf8Run(bytes, 2, ends, 0, 0);
    });
    const expected = [null, 'a', 'bé', '', ...Array.from({ length: 1096 }, () => ['cc', '😀x']).flat(), null, 'd'];
    expect(batchToObjects(b.finish()).map((r) => r.s)).toEqual(expected);
  });

  it('says which column got the wrong number of values', () => {
    const b = new BatchBuilder(cols.slice(0, 2));
    expect(() => b.appendColumns(2, ([s]) => s!.append('only one'))).toThrow('column "s" got 1 values, not 2');
  });
});
