import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, type ColumnDef, type ColumnKind } from '@salesflow/batches';

export const UNKNOWN_KEY = -1;
export const UNKNOWN_NATURAL_KEY = 'UNKNOWN';

/** A dimension held whole in memory (dimensions are small next to facts): natural key -> member. */
export interface Dimension {
  readonly columns: readonly ColumnDef[];
  readonly keyColumn: string;
  readonly naturalKey: string;
  /** Attribute values in columns order after the key and natural key. */
  readonly members: Map<string, { readonly key: number; readonly attrs: readonly unknown[] }>;
}

export interface DimensionChanges {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** Columns of a dimension table: surrogate key, natural key, attributes (kinds from the source). */
export function dimensionColumns(keyColumn: string, naturalKey: string, attributes: readonly string[], kindOf: (col: string) => ColumnKind): ColumnDef[] {
  return [
    { name: keyColumn, kind: 'int32', nullable: false },
    { name: naturalKey, kind: 'string', nullable: false },
    ...attributes.map((a) => ({ name: a, kind: kindOf(a) })),
  ];
}

/** A dimension with no members yet; fill it with loadSnapshotBatch and mergeSourceRows. */
export function emptyDimension(columns: readonly ColumnDef[]): Dimension {
  return { columns, keyColumn: columns[0]!.name, naturalKey: columns[1]!.name, members: new Map() };
}

/** Adds the members of a stored snapshot batch (the unknown member is skipped; it is re-made on write). */
export function loadSnapshotBatch(dim: Dimension, batch: arrow.RecordBatch): void {
  const readers = columnReaders(batch, dim.columns.map((c) => c.name));
  for (let r = 0; r < batch.numRows; r++) {
    const key = readers[0]!(r) as number;
    if (key === UNKNOWN_KEY) continue;
    const nk = String(readers[1]!(r));
    dim.members.set(nk, { key, attrs: readers.slice(2).map((read) => read(r)) });
  }
}

/**
 * Merges the source rows of this ds into the dimension (type 1: attributes overwritten). Members
 * keep their surrogate keys; new members get keys above the highest ever given (the members' own
 * keys, and `keysGivenUpTo`: keys other snapshots handed out to members this one may not hold), in
 * natural-key order, so the same input always yields the same keys. Rows with a null natural key
 * are skipped and counted by the caller.
 */
export function mergeSourceRows(dim: Dimension, sourceRows: Iterable<readonly unknown[]>, keysGivenUpTo = 0): DimensionChanges {
  let updated = 0;
  let unchanged = 0;
  const fresh = new Map<string, readonly unknown[]>();
  for (const [nk, ...attrs] of sourceRows) {
    const key = String(nk);
    const cur = dim.members.get(key);
    if (cur) {
      if (attrs.some((v, i) => !sameValue(v, cur.attrs[i]))) {
        dim.members.set(key, { key: cur.key, attrs });
        updated++;
      } else unchanged++;
    } else fresh.set(key, attrs);
  }
  let next = Math.max(keysGivenUpTo, highestKey(dim)) + 1;
  for (const nk of [...fresh.keys()].sort()) dim.members.set(nk, { key: next++, attrs: fresh.get(nk)! });
  return { added: fresh.size, updated, unchanged };
}

/** The highest surrogate key of the dimension's members, 0 when it has none. */
export function highestKey(dim: Dimension): number {
  // A loop, not Math.max(...keys): spreading ~125k+ arguments overflows the call stack.
  let max = 0;
  for (const m of dim.members.values()) if (m.key > max) max = m.key;
  return max;
}

function sameValue(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null) || (typeof a === 'bigint' && typeof b === 'bigint' && a === b);
}

/** The whole dimension as record batches ordered by key, starting with the unknown member (-1). */
export function* dimensionBatches(dim: Dimension, batchSize: number): Generator<arrow.RecordBatch> {
  const b = new BatchBuilder(dim.columns);
  b.appendRow([UNKNOWN_KEY, UNKNOWN_NATURAL_KEY, ...dim.columns.slice(2).map((c) => (c.kind === 'string' ? 'Unknown' : null))]);
  const sorted = [...dim.members.entries()].sort((x, y) => x[1].key - y[1].key);
  for (const [nk, m] of sorted) {
    b.appendRow([m.key, nk, ...m.attrs]);
    if (b.length >= batchSize) yield b.finish();
  }
  if (b.length) yield b.finish();
}

/** Natural key -> surrogate key, for fact lookups. */
export function keyLookup(dim: Dimension): Map<string, number> {
  return new Map([...dim.members.entries()].map(([nk, m]) => [nk, m.key]));
}
