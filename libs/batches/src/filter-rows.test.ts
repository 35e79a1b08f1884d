import { BatchBuilder } from './batch-builder';
import { filterRows } from './filter-rows';
import { batchToObjects } from './read-columns';

describe('filterRows', () => {
  const columns = [
    { name: 'id', kind: 'string', nullable: false },
    { name: 'n', kind: 'int64', nullable: true },
    { name: 'at', kind: 'timestamp', nullable: true },
    { name: 'day', kind: 'date', nullable: true },
    { name: 'x', kind: 'float64', nullable: true },
    { name: 'ok', kind: 'bool', nullable: true },
  ] as const;
  const build = () => {
    const b = new BatchBuilder(columns);
    b.appendRow(['a', 1n, Date.UTC(2026, 0, 1, 10), Date.UTC(2026, 0, 1), 1.5, true]);
    b.appendRow(['b', null, null, null, null, null]);
    b.appendRow(['c', 3n, Date.UTC(2026, 0, 3, 12), Date.UTC(2026, 0, 3), -2.25, false]);
    return b.finish();
  };

  it('keeps the flagged rows in order with their values and nulls', () => {
    const out = filterRows(build(), Uint8Array.of(0, 1, 1));
    expect(out.numRows).toBe(2);
    expect(out.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(build().schema.fields.map((f) => [f.name, String(f.type), f.nullable]));
    expect(batchToObjects(out)).toEqual([batchToObjects(build())[1], batchToObjects(build())[2]]);
  });

  it('returns the batch itself when every row is kept, and an empty batch when none is', () => {
    const batch = build();
    expect(filterRows(batch, Uint8Array.of(1, 1, 1))).toBe(batch);
    expect(filterRows(batch, new Uint8Array(3)).numRows).toBe(0);
  });
});
