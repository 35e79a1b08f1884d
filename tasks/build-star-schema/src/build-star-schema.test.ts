import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { dimensionBatches, dimensionColumns, emptyDimension, keyLookup, loadSnapshotBatch, mergeSourceRows } from './build-dimension';
import { buildFactBatch, type FactBatchStats } from './build-fact-batch';

const cols = dimensionColumns('customer_key', 'customer_id', ['city', 'score'], (c) => (c === 'score' ? 'float64' : 'string'));

function snapshot(rows: unknown[][]) {
  const dim = emptyDimension(cols);
  mergeSourceRows(dim, rows);
  const stored = [...dimensionBatches(dim, 1000)];
  const reloaded = emptyDimension(cols);
  stored.forEach((b) => loadSnapshotBatch(reloaded, b));
  return { dim, stored, reloaded };
}

describe('dimensions', () => {
  it('gives new members keys in natural-key order after the highest key, and writes the unknown member first', () => {
    const { stored } = snapshot([
      ['C3', 'Boston', 1],
      ['C1', 'Austin', null],
      ['C2', 'Denver', 2],
    ]);
    const rows = stored.flatMap(batchToObjects);
    expect(rows.map((r) => [r.customer_key, r.customer_id, r.city, r.score])).toEqual([
      [-1, 'UNKNOWN', 'Unknown', null],
      [1, 'C1', 'Austin', null],
      [2, 'C2', 'Denver', 2],
      [3, 'C3', 'Boston', 1],
    ]);
  });

  it('keeps keys stable across runs, overwrites changed attributes, appends new members', () => {
    const { reloaded } = snapshot([
      ['C1', 'Austin', 1],
      ['C2', 'Denver', 2],
    ]);
    const changes = mergeSourceRows(reloaded, [
      ['C2', 'Dallas', 2],
      ['C0', 'Albany', 3],
      ['C1', 'Austin', 1],
    ]);
    expect(changes).toEqual({ added: 1, updated: 1, unchanged: 1 });
    expect(Object.fromEntries(keyLookup(reloaded))).toEqual({ C1: 1, C2: 2, C0: 3 });
    expect(reloaded.members.get('C2')!.attrs).toEqual(['Dallas', 2]);
  });

  it('the same input twice yields the same keys', () => {
    const a = snapshot([['B'], ['A']].map((r) => [...r, 'x', 1])).dim;
    const b = snapshot([['A'], ['B']].map((r) => [...r, 'x', 1])).dim;
    expect(Object.fromEntries(keyLookup(a))).toEqual(Object.fromEntries(keyLookup(b)));
  });
});

describe('buildFactBatch', () => {
  const src: ColumnDef[] = [
    { name: 'transaction_id', kind: 'string' },
    { name: 'customer_id', kind: 'string' },
    { name: 'quantity', kind: 'int32' },
    { name: 'total_amount', kind: 'float64' },
    { name: 'transaction_timestamp', kind: 'timestamp' },
  ];

  it('looks up surrogate keys, counts misses as -1, derives date_key, keeps measures', () => {
    const b = new BatchBuilder(src);
    b.appendRow(['T1', 'C1', 2, 10.5, Date.UTC(2026, 10, 25, 23, 59)]);
    b.appendRow(['T2', 'NOPE', 1, 3, Date.UTC(2025, 0, 1)]);
    b.appendRow(['T3', null, 1, 3, null]);
    const stats: FactBatchStats = { unknown: {} };
    const out = buildFactBatch(b.finish(), {
      grain: ['transaction_id'],
      dateColumn: 'transaction_timestamp',
      measures: ['quantity', 'total_amount'],
      lookups: [{ column: 'customer_id', keyColumn: 'customer_key', keys: new Map([['C1', 7]]) }],
      batchDs: '2026-11-26',
    }, stats);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['transaction_id', 'date_key', 'customer_key', 'quantity', 'total_amount', 'transaction_timestamp', 'batch_ds']);
    expect(batchToObjects(out).map((r) => [r.transaction_id, r.date_key, r.customer_key, r.quantity, r.total_amount, r.batch_ds])).toEqual([
      ['T1', 20261125, 7, 2, 10.5, '2026-11-26'],
      ['T2', 20250101, -1, 1, 3, '2026-11-26'],
      ['T3', -1, -1, 1, 3, '2026-11-26'],
    ]);
    expect(stats.unknown).toEqual({ customer_key: 2 });
    expect([stats.minDay, stats.maxDay]).toEqual([Date.UTC(2025, 0, 1) / 86_400_000, Date.UTC(2026, 10, 25) / 86_400_000]);
  });
});
