import { createHash } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, type ColumnDef, type ColumnKind } from '@salesflow/batches';

export const UNKNOWN_KEY = -1;
export const UNKNOWN_NATURAL_KEY = 'UNKNOWN';

const DAY_MS = 86_400_000;
/** valid_from of the unknown and inferred members: they cover any fact date. */
export const BEGINNING_OF_TIME = Math.round(Date.UTC(1900, 0, 1) / DAY_MS);
/** valid_to of a current version (inclusive), so `date BETWEEN valid_from AND valid_to` always works. */
export const END_OF_TIME = Math.round(Date.UTC(9999, 11, 31) / DAY_MS);

export type HistoryType = 'type1' | 'type2';

/** One version of a member (type 1 members have exactly one). Days are epoch days (UTC). */
export interface Version {
  key: number;
  validFrom: number;
  /** Inclusive; END_OF_TIME for the current version. */
  validTo: number;
  attrs: readonly unknown[];
  /** Made for a fact that arrived before its member: natural key only, until the member arrives. */
  inferred: boolean;
}

/**
 * A dimension held whole in memory (dimensions are small next to facts): natural key -> its
 * versions ordered by valid_from, contiguous (each valid_to is the day before the next valid_from)
 * and the last one open (END_OF_TIME), so exactly one version per member is current.
 */
export interface Dimension {
  readonly columns: readonly ColumnDef[];
  readonly keyColumn: string;
  readonly naturalKey: string;
  readonly attributes: readonly string[];
  readonly history: HistoryType;
  /** Indexes into attributes of the tracked ones (type 2). */
  readonly tracked: readonly number[];
  readonly members: Map<string, Version[]>;
}

export interface DimensionChanges {
  /** Members seen for the first time. */
  added: number;
  /** Versions whose attributes were overwritten (type 1, untracked attributes, same-day corrections). */
  updated: number;
  /** New versions opened by a tracked change (type 2). */
  versioned: number;
  unchanged: number;
  /** Inferred members filled in by their real rows. */
  inferred_filled: number;
  /** Inferred members made for facts that arrived first. */
  inferred_added: number;
}

export interface DimensionSpec {
  readonly keyColumn: string;
  readonly naturalKey: string;
  readonly attributes: readonly string[];
  readonly history: HistoryType;
  /** Tracked attributes (type 2); default all. */
  readonly tracked?: readonly string[];
}

/** The columns the star schema adds after the attributes. */
export function historyColumns(history: HistoryType): ColumnDef[] {
  const flag: ColumnDef = { name: 'is_inferred', kind: 'bool', nullable: false };
  if (history === 'type1') return [flag];
  return [
    { name: 'valid_from', kind: 'date', nullable: false },
    { name: 'valid_to', kind: 'date', nullable: false },
    { name: 'is_current', kind: 'bool', nullable: false },
    flag,
  ];
}

/** Columns of a dimension table: surrogate key, natural key, attributes (kinds from the source), history columns. */
export function dimensionColumns(spec: DimensionSpec, kindOf: (col: string) => ColumnKind): ColumnDef[] {
  return [
    { name: spec.keyColumn, kind: 'int32', nullable: false },
    { name: spec.naturalKey, kind: 'string', nullable: false },
    ...spec.attributes.map((a) => ({ name: a, kind: kindOf(a) })),
    ...historyColumns(spec.history),
  ];
}

/** A dimension with no members yet; fill it with loadSnapshotBatch and mergeSourceRows. */
export function emptyDimension(spec: DimensionSpec, kindOf: (col: string) => ColumnKind = () => 'string'): Dimension {
  const tracked = spec.history === 'type2' ? (spec.tracked ?? spec.attributes).map((t) => spec.attributes.indexOf(t)).filter((i) => i >= 0) : [];
  return {
    columns: dimensionColumns(spec, kindOf),
    keyColumn: spec.keyColumn,
    naturalKey: spec.naturalKey,
    attributes: spec.attributes,
    history: spec.history,
    tracked,
    members: new Map(),
  };
}

/**
 * Adds the versions of a stored snapshot batch (the unknown member is skipped; it is re-made on
 * write). Columns the snapshot lacks read as null: an attribute added to the config since, or the
 * history columns of a snapshot written as type 1 (each member then becomes one open version).
 */
export function loadSnapshotBatch(dim: Dimension, batch: arrow.RecordBatch): void {
  const names = dim.columns.map((c) => c.name);
  const readers = columnReaders(batch, names);
  const at = (n: string) => readers[names.indexOf(n)]!;
  const attrReaders = dim.attributes.map((a) => at(a));
  const from = dim.history === 'type2' ? at('valid_from') : () => null;
  const to = dim.history === 'type2' ? at('valid_to') : () => null;
  const inferred = at('is_inferred');
  for (let r = 0; r < batch.numRows; r++) {
    const key = readers[0]!(r) as number;
    if (key === UNKNOWN_KEY) continue;
    const nk = String(readers[1]!(r));
    const f = from(r) as number | null;
    const t = to(r) as number | null;
    const v: Version = {
      key,
      validFrom: f === null ? BEGINNING_OF_TIME : Math.round(f / DAY_MS),
      validTo: t === null ? END_OF_TIME : Math.round(t / DAY_MS),
      attrs: attrReaders.map((read) => read(r)),
      inferred: inferred(r) === true,
    };
    const versions = dim.members.get(nk);
    if (versions) versions.push(v);
    else dim.members.set(nk, [v]);
  }
  for (const versions of dim.members.values()) if (versions.length > 1) versions.sort((a, b) => a.validFrom - b.validFrom);
}

/**
 * A null-safe fingerprint of some attribute values: null, the string "null" and "" all differ,
 * and 1 and 1n are equal. Compared instead of the values to detect a change.
 */
export function hashAttributes(values: readonly unknown[]): string {
  const text = JSON.stringify(values.map((v) => (v === undefined ? null : typeof v === 'bigint' ? Number(v) : v)));
  return createHash('md5').update(text).digest('base64');
}

/**
 * Merges the source rows of day `day` (epoch day of ds) into the dimension. Type 1 overwrites.
 * Type 2 compares the tracked attributes with the version valid at `day`:
 *  - the same: untracked attributes are overwritten on that version, if they differ;
 *  - different, and that version starts on `day`: overwritten (a re-run with corrected input);
 *  - different otherwise: that version ends the day before, and a new one runs from `day` to
 *    where the old one ended, unless the next version already holds these tracked values (a
 *    later day recorded the change first), which then starts on `day`. Built out of order
 *    (day 3, then day 2), the history stays contiguous and every existing version keeps its key.
 *  - no version yet at `day` (a backfill before the member's first version): the first version
 *    starts earlier when its tracked attributes are the same, else a version is put in front.
 * An inferred member is filled in place: it keeps its key, so facts already pointing to it stay right.
 * New versions get keys above the highest ever given (`keysGivenUpTo` and the dimension's own),
 * in natural-key order, so the same input always yields the same keys. Rows whose natural key is
 * null are skipped and counted by the caller. Re-running the same day changes nothing.
 */
export function mergeSourceRows(dim: Dimension, sourceRows: Iterable<readonly unknown[]>, day: number, keysGivenUpTo = 0): DimensionChanges {
  const changes: DimensionChanges = { added: 0, updated: 0, versioned: 0, unchanged: 0, inferred_filled: 0, inferred_added: 0 };
  const pending: { nk: string; version: Version }[] = [];
  const type2 = dim.history === 'type2';
  const trackedHash = (attrs: readonly unknown[]) => hashAttributes(dim.tracked.map((i) => attrs[i]));
  for (const [nkValue, ...attrs] of sourceRows) {
    const nk = String(nkValue);
    const versions = dim.members.get(nk);
    if (!versions) {
      const version: Version = { key: 0, validFrom: type2 ? day : BEGINNING_OF_TIME, validTo: END_OF_TIME, attrs, inferred: false };
      dim.members.set(nk, [version]);
      pending.push({ nk, version });
      changes.added++;
      continue;
    }
    const i = type2 ? versionIndexAt(versions, day) : 0;
    if (i < 0) {
      const first = versions[0]!;
      if (trackedHash(first.attrs) === trackedHash(attrs)) {
        first.validFrom = day;
        if (hashAttributes(first.attrs) !== hashAttributes(attrs)) first.attrs = attrs;
        changes.updated++;
      } else {
        const version: Version = { key: 0, validFrom: day, validTo: first.validFrom - 1, attrs, inferred: false };
        versions.unshift(version);
        pending.push({ nk, version });
        changes.versioned++;
      }
      continue;
    }
    const v = versions[i]!;
    if (v.inferred) {
      v.attrs = attrs;
      v.inferred = false;
      changes.inferred_filled++;
    } else if (hashAttributes(v.attrs) === hashAttributes(attrs)) {
      changes.unchanged++;
    } else if (!type2 || v.validFrom === day || trackedHash(v.attrs) === trackedHash(attrs)) {
      v.attrs = attrs;
      changes.updated++;
    } else if (versions[i + 1] && trackedHash(versions[i + 1]!.attrs) === trackedHash(attrs)) {
      // A backfill of the day a change happened, after a later day recorded it: the later version starts earlier.
      versions[i + 1]!.validFrom = day;
      v.validTo = day - 1;
      changes.updated++;
    } else {
      const version: Version = { key: 0, validFrom: day, validTo: v.validTo, attrs, inferred: false };
      v.validTo = day - 1;
      versions.splice(i + 1, 0, version);
      pending.push({ nk, version });
      changes.versioned++;
    }
  }
  assignKeys(dim, pending, keysGivenUpTo);
  return changes;
}

/**
 * Adds an inferred member (natural key only, valid for all time) for each natural key the
 * dimension does not know yet; returns how many were added. Keys as in mergeSourceRows.
 */
export function addInferredMembers(dim: Dimension, naturalKeys: Iterable<string>, keysGivenUpTo = 0): number {
  const pending: { nk: string; version: Version }[] = [];
  const blank = dim.attributes.map(() => null);
  for (const nk of naturalKeys) {
    if (dim.members.has(nk)) continue;
    const version: Version = { key: 0, validFrom: BEGINNING_OF_TIME, validTo: END_OF_TIME, attrs: blank, inferred: true };
    dim.members.set(nk, [version]);
    pending.push({ nk, version });
  }
  assignKeys(dim, pending, keysGivenUpTo);
  return pending.length;
}

function assignKeys(dim: Dimension, pending: { nk: string; version: Version }[], keysGivenUpTo: number): void {
  if (!pending.length) return;
  let next = Math.max(keysGivenUpTo, highestKey(dim)) + 1;
  pending.sort((a, b) => (a.nk < b.nk ? -1 : a.nk > b.nk ? 1 : a.version.validFrom - b.version.validFrom));
  for (const p of pending) p.version.key = next++;
}

/** Index of the version valid at `day`, or -1 when `day` is before the first version. */
export function versionIndexAt(versions: readonly Version[], day: number): number {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.validFrom <= day) return i;
  return -1;
}

/** The highest surrogate key of the dimension's versions, 0 when it has none. */
export function highestKey(dim: Dimension): number {
  // A loop, not Math.max(...keys): spreading ~125k+ arguments overflows the call stack.
  let max = 0;
  for (const versions of dim.members.values()) for (const v of versions) if (v.key > max) max = v.key;
  return max;
}

/** The whole dimension as record batches ordered by key, starting with the unknown member (-1). */
export function* dimensionBatches(dim: Dimension, batchSize: number): Generator<arrow.RecordBatch> {
  const b = new BatchBuilder(dim.columns);
  const type2 = dim.history === 'type2';
  const history = (v: Pick<Version, 'validFrom' | 'validTo' | 'inferred'>) =>
    type2 ? [v.validFrom * DAY_MS, v.validTo * DAY_MS, v.validTo === END_OF_TIME, v.inferred] : [v.inferred];
  const unknownAttrs = dim.columns.slice(2, 2 + dim.attributes.length).map((c) => (c.kind === 'string' ? 'Unknown' : null));
  b.appendRow([UNKNOWN_KEY, UNKNOWN_NATURAL_KEY, ...unknownAttrs, ...history({ validFrom: BEGINNING_OF_TIME, validTo: END_OF_TIME, inferred: false })]);
  const rows: [string, Version][] = [];
  for (const [nk, versions] of dim.members) for (const v of versions) rows.push([nk, v]);
  rows.sort((x, y) => x[1].key - y[1].key);
  for (const [nk, v] of rows) {
    b.appendRow([v.key, nk, ...v.attrs, ...history(v)]);
    if (b.length >= batchSize) yield b.finish();
  }
  if (b.length) yield b.finish();
}

/** Finds the surrogate key of a natural key at a day; built once per dimension for the fact lookups. */
export interface KeyLookup {
  /** The key of the version valid at `day` (the first version when `day` precedes it), or undefined for an unknown member. */
  keyAt(naturalKey: string, day: number): number | undefined;
  /** The key when it is the same on every day (a member with one version), undefined for an unknown member, null when it depends on the day. */
  fixedKey?(naturalKey: string): number | undefined | null;
}

/** The lookup of a dimension: members with one version cost a map get; others a short scan. */
export function keyLookup(dim: Dimension): KeyLookup {
  const single = new Map<string, number>();
  const multi = new Map<string, { from: Int32Array; keys: Int32Array }>();
  for (const [nk, versions] of dim.members) {
    if (versions.length === 1) single.set(nk, versions[0]!.key);
    else multi.set(nk, { from: Int32Array.from(versions, (v) => v.validFrom), keys: Int32Array.from(versions, (v) => v.key) });
  }
  return {
    keyAt(nk, day) {
      const k = single.get(nk);
      if (k !== undefined) return k;
      const m = multi.get(nk);
      if (!m) return undefined;
      for (let i = m.from.length - 1; i > 0; i--) if (m.from[i]! <= day) return m.keys[i];
      return m.keys[0];
    },
    fixedKey(nk) {
      const k = single.get(nk);
      if (k !== undefined) return k;
      return multi.has(nk) ? null : undefined;
    },
  };
}
