import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import type { Manifest } from '@salesflow/lake';
import { dimensionBatches, dimensionColumns, emptyDimension, keyLookup, loadSnapshotBatch, mergeSourceRows } from './build-dimension';
import { buildFactBatch, type FactBatchStats } from './build-fact-batch';
import { highestMaxKey, mostRecentlyCommitted } from './choose-snapshot';

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

  it('gives new members keys above keysGivenUpTo when other snapshots handed out higher keys', () => {
    const { reloaded } = snapshot([['C1', 'Austin', 1]]);
    mergeSourceRows(reloaded, [['C9', 'Boston', 2], ['C1', 'Austin', 1]], 7);
    expect(Object.fromEntries(keyLookup(reloaded))).toEqual({ C1: 1, C9: 8 });
  });

  it('merges new members into a dimension of 200k members', () => {
    // Math.max(...keys) over this many members threw RangeError (maximum call stack size exceeded).
    const n = 200_000;
    const rows: unknown[][] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = [`C${String(i).padStart(6, '0')}`, 'x', i];
    const dim = emptyDimension(cols);
    mergeSourceRows(dim, rows);
    expect(mergeSourceRows(dim, [['NEW', 'y', 1]])).toEqual({ added: 1, updated: 0, unchanged: 0 });
    expect(dim.members.get('NEW')!.key).toBe(n + 1);
  });
});

describe('choosing the previous snapshot', () => {
  const manifest = (ds: string, committed_at: string, meta: Record<string, unknown> = {}) => ({ ds, committed_at, meta }) as unknown as Manifest;

  it('builds on the snapshot committed most recently, not the one with the largest ds; ties go to the larger ds', () => {
    const after26 = manifest('2026-11-01', '2026-11-27T02:10:00.000Z');
    expect(mostRecentlyCommitted([manifest('2026-11-26', '2026-11-27T02:00:00.000Z'), after26])).toBe(after26);
    // Compared as dates, not strings: an offset timestamp written elsewhere still orders right.
    const utc = manifest('2026-11-27', '2026-11-27T02:30:00.000Z');
    expect(mostRecentlyCommitted([manifest('2026-11-28', '2026-11-27T03:00:00.000+02:00'), utc])).toBe(utc);
    const tie = manifest('2026-11-27', '2026-11-27T02:00:00.000Z');
    expect(mostRecentlyCommitted([tie, manifest('2026-11-01', '2026-11-27T02:00:00.000Z')])).toBe(tie);
    expect(mostRecentlyCommitted([])).toBeUndefined();
  });

  it('takes the highest max_key of all snapshots, skipping manifests written before max_key existed', () => {
    expect(highestMaxKey([manifest('2026-11-26', 'x', { max_key: 2 }), manifest('2026-11-01', 'x', { max_key: 9 }), manifest('2026-10-01', 'x')])).toBe(9);
    expect(highestMaxKey([manifest('2026-10-01', 'x')])).toBe(0);
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
