import * as arrow from 'apache-arrow';
import { columnReaders } from './read-columns';

describe('columnReaders', () => {
  it('reads Utf8 columns from their buffers exactly as Arrow get() does: nulls, non-ASCII, bad bytes and slices', () => {
    const values = ['a', null, '', 'Zoë', '東京', ' spaced ', null, 'TXN00000001'];
    const batch = arrow.tableFromArrays({ s: arrow.vectorFromArray(values, new arrow.Utf8()), n: Int32Array.from(values.map((_, i) => i)) }).batches[0]!;
    for (const b of [batch, batch.slice(2, 7)]) {
      const [read, readN, missing] = columnReaders(b, ['s', 'n', 'nope']);
      const s = b.getChild('s')!;
      for (let r = 0; r < b.numRows; r++) {
        expect(read!(r)).toBe(s.get(r));
        expect(readN!(r)).toBe(b.getChild('n')!.get(r));
        expect(missing!(r)).toBeNull();
      }
    }
    expect(columnReaders(batch, ['s'])[0]!(3)).toBe('Zoë');
    const bad = arrow.makeData({ type: new arrow.Utf8(), length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, 2), data: Uint8Array.of(0xff, 0x41) });
    const badBatch = new arrow.RecordBatch({ s: bad });
    expect(columnReaders(badBatch, ['s'])[0]!(0)).toBe(badBatch.getChild('s')!.get(0));
  });

  it('reads numbers, dates and millisecond timestamps from their typed arrays exactly as Arrow get() does, nulls and slices included', () => {
    const vectors = {
      f64: arrow.vectorFromArray([1.5, null, -0, Number.NaN, 1e300, 2], new arrow.Float64()),
      i32: arrow.vectorFromArray([7, null, -2147483648, 0, 2147483647, 3], new arrow.Int32()),
      i64: arrow.vectorFromArray([1n, null, -(2n ** 62n), 0n, 2n ** 62n, 9n], new arrow.Int64()),
      ts: arrow.vectorFromArray([1_700_000_000_123, null, -86_400_000, 0, 253_402_300_799_999, 1], new arrow.TimestampMillisecond()),
      day: arrow.vectorFromArray([19_000 * 86_400_000, null, -86_400_000, 0, 2_932_896 * 86_400_000, 86_400_000], new arrow.DateDay()),
    };
    const batch = new arrow.RecordBatch(Object.fromEntries(Object.entries(vectors).map(([k, v]) => [k, v.data[0]!])));
    const names = Object.keys(vectors);
    for (const b of [batch, batch.slice(1, 5)]) {
      const readers = columnReaders(b, names);
      names.forEach((n, i) => {
        const got = Array.from({ length: b.numRows }, (_, r) => readers[i]!(r));
        expect([n, got]).toEqual([n, Array.from({ length: b.numRows }, (_, r) => b.getChild(n)!.get(r))]);
      });
    }
    expect(columnReaders(batch, ['i64'])[0]!(0)).toBe(1n);
    expect(columnReaders(batch, ['ts'])[0]!(0)).toBe(1_700_000_000_123);
  });
});
