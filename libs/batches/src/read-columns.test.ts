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
});
