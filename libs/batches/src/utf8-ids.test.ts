import * as arrow from 'apache-arrow';
import { Utf8Ids } from './utf8-ids';

describe('Utf8Ids', () => {
  it('numbers distinct values by their bytes in order of first sight, across calls and chunks, nulls as -1', () => {
    const ids = new Utf8Ids();
    const first = arrow.vectorFromArray(['C1', null, 'Zoë', 'C1', '', 'C2'], new arrow.Utf8());
    expect(Array.from(ids.idsOf(first))).toEqual([0, -1, 1, 0, 2, 3]);
    const chunked = new arrow.Vector([arrow.vectorFromArray(['C2', 'C3'], new arrow.Utf8()).data[0]!, arrow.vectorFromArray(['Zoë', null, 'C1'], new arrow.Utf8()).data[0]!]);
    expect(Array.from(ids.idsOf(chunked))).toEqual([3, 4, 1, -1, 0]);
    expect(ids.values).toEqual(['C1', 'Zoë', '', 'C2', 'C3']);
    expect(ids.size).toBe(5);
    // A sliced column reads its own rows.
    expect(Array.from(ids.idsOf(first.slice(2, 5)))).toEqual([1, 0, 2]);
  });

  it('reads other column types as their text, so 7 and "7" are one value', () => {
    const ids = new Utf8Ids();
    expect(ids.idOfText('7')).toBe(0);
    expect(Array.from(ids.idsOf(arrow.vectorFromArray([7, null, 8], new arrow.Int32())))).toEqual([0, -1, 1]);
    expect(Array.from(ids.idsOf(arrow.vectorFromArray([8n], new arrow.Int64())))).toEqual([1]);
    expect(ids.values).toEqual(['7', '8']);
  });
});
