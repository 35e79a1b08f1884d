import { createHash } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, decimalUnitsOf, formatDecimalUnits, type ColumnDef, type ColumnKind } from '@salesflow/batches';

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
  /**
   * The day the version started as the source tells it (observed_from in the snapshot). The first
   * version is written valid from the dimension's historyStart instead, when it has one.
   */
  validFrom: number;
  /** Inclusive; END_OF_TIME for the current version. */
  validTo: number;
  attrs: readonly unknown[];
  /** Made for a fact that arrived before its member: natural key only, until the member arrives. */
  inferred: boolean;
  /**
   * Epoch ms of the newest source row these attributes come from (observed_at in the snapshot):
   * an older row (a backfill) never overwrites them.
   */
  seenAt: number;
}

/** One source row of a member: its attributes as of `at` (epoch ms: the source's own time, or the run's ds). */
export interface Observation {
  readonly naturalKey: string;
  readonly attrs: readonly unknown[];
  readonly at: number;
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
  /** Type 2: the epoch day every member's history is written to begin (first versions, unknown member); undefined keeps each first version's own start. */
  readonly historyStart: number | undefined;
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
  /** Rows older than what their version already holds (a backfill after a later day): kept out, so newer values stay. */
  stale: number;
}

export interface DimensionSpec {
  readonly keyColumn: string;
  readonly naturalKey: string;
  readonly attributes: readonly string[];
  readonly history: HistoryType;
  /** Tracked attributes (type 2); default all. */
  readonly tracked?: readonly string[];
  /** Type 2: the epoch day the first version of every member is written valid from (see Dimension.historyStart). */
  readonly historyStart?: number;
}

/**
 * The columns the star schema adds after the attributes. Type 2 snapshots also keep, for the
 * next run only (the warehouse does not load them), each version's start as the source told it
 * (observed_from; valid_from differs on a first version stretched to history_start) and the time
 * of the row its attributes come from (observed_at).
 */
export function historyColumns(history: HistoryType): ColumnDef[] {
  const flag: ColumnDef = { name: 'is_inferred', kind: 'bool', nullable: false };
  if (history === 'type1') return [flag];
  return [
    { name: 'valid_from', kind: 'date', nullable: false },
    { name: 'valid_to', kind: 'date', nullable: false },
    { name: 'is_current', kind: 'bool', nullable: false },
    flag,
    { name: 'observed_from', kind: 'date', nullable: true },
    { name: 'observed_at', kind: 'timestamp', nullable: true },
  ];
}

/** The kind of a source column, or its whole definition (a decimal's precision and scale). */
export type KindOf = (col: string) => ColumnKind | Omit<ColumnDef, 'name'>;

/** Columns of a dimension table: surrogate key, natural key, attributes (kinds from the source), history columns. */
export function dimensionColumns(spec: DimensionSpec, kindOf: KindOf): ColumnDef[] {
  return [
    { name: spec.keyColumn, kind: 'int32', nullable: false },
    { name: spec.naturalKey, kind: 'string', nullable: false },
    ...spec.attributes.map((a): ColumnDef => {
      const k = kindOf(a);
      return typeof k === 'string' ? { name: a, kind: k } : { ...k, name: a, nullable: true };
    }),
    ...historyColumns(spec.history),
  ];
}

/** A dimension with no members yet; fill it with loadSnapshotBatch and mergeSourceRows. */
export function emptyDimension(spec: DimensionSpec, kindOf: KindOf = () => 'string'): Dimension {
  const tracked = spec.history === 'type2' ? (spec.tracked ?? spec.attributes).map((t) => spec.attributes.indexOf(t)).filter((i) => i >= 0) : [];
  return {
    columns: dimensionColumns(spec, kindOf),
    keyColumn: spec.keyColumn,
    naturalKey: spec.naturalKey,
    attributes: spec.attributes,
    history: spec.history,
    tracked,
    historyStart: spec.history === 'type2' ? spec.historyStart : undefined,
    members: new Map(),
  };
}

/**
 * Adds the versions of a stored snapshot batch (the unknown member is skipped; it is re-made on
 * write). Columns the snapshot lacks read as null: an attribute added to the config since, the
 * history columns of a snapshot written as type 1 (each member then becomes one open version), or
 * observed_from and observed_at of a snapshot written before them (valid_from stands in).
 */
export function loadSnapshotBatch(dim: Dimension, batch: arrow.RecordBatch): void {
  const names = dim.columns.map((c) => c.name);
  const readers = columnReaders(batch, names);
  const at = (n: string) => readers[names.indexOf(n)]!;
  const attrReaders = dim.attributes.map((a) => {
    const read = at(a);
    const def = dim.columns[names.indexOf(a)]!;
    if (def.kind !== 'decimal') return read;
    // Promotion of snapshots written before decimals were exact (double) or at another scale:
    // the value's digits at the declared scale, rounded half away from zero, as the source now reads.
    const scale = def.scale ?? 2;
    return (r: number) => {
      const v = read(r);
      const units = v === null || v === undefined ? undefined : decimalUnitsOf(v, scale);
      return units === undefined ? v : formatDecimalUnits(units, scale);
    };
  });
  const none = () => null;
  const type2 = dim.history === 'type2';
  const [validFrom, to, observedFrom, observedAt] = ['valid_from', 'valid_to', 'observed_from', 'observed_at'].map((n) => (type2 ? at(n) : none));
  const inferred = at('is_inferred');
  for (let r = 0; r < batch.numRows; r++) {
    const key = readers[0]!(r) as number;
    if (key === UNKNOWN_KEY) continue;
    const nk = String(readers[1]!(r));
    const f = (observedFrom!(r) ?? validFrom!(r)) as number | null;
    const t = to!(r) as number | null;
    const seen = observedAt!(r) as number | bigint | null;
    const from = f === null ? BEGINNING_OF_TIME : Math.round(Number(f) / DAY_MS);
    const v: Version = {
      key,
      validFrom: from,
      validTo: t === null ? END_OF_TIME : Math.round(Number(t) / DAY_MS),
      attrs: attrReaders.map((read) => read(r)),
      inferred: inferred(r) === true,
      seenAt: seen === null ? from * DAY_MS : Number(seen),
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
 * Merges the source rows of day `day` (epoch day of ds) into the dimension: each row is an
 * observation at the start of that day (see mergeObservations). Rows are [natural key, ...attributes].
 */
export function mergeSourceRows(dim: Dimension, sourceRows: Iterable<readonly unknown[]>, day: number, keysGivenUpTo = 0): DimensionChanges {
  const at = day * DAY_MS;
  const observations: Observation[] = [];
  for (const [nk, ...attrs] of sourceRows) observations.push({ naturalKey: String(nk), attrs, at });
  return mergeObservations(dim, observations, keysGivenUpTo);
}

/**
 * Merges source rows, each with the time it speaks for, into the dimension. Type 1 overwrites.
 * Type 2 applies the rows oldest first, each on its day (clamped to historyStart), against the
 * version valid on that day:
 *  - the same tracked attributes: the others are overwritten, unless the version already holds a
 *    newer row's values (stale);
 *  - different, and the row is the newest word on that version: a version that starts on the same
 *    day is corrected in place; else the version ends the day before and a new one runs to where
 *    it ended, unless the next version already holds these tracked values (a later day recorded the
 *    change first), which then starts on that day;
 *  - different, but the version's values were seen again after the row's time (A, then this row's
 *    X, then A again): X goes in between, up to the day before A was seen again, and A resumes in
 *    a new version; on that very day the newer row wins and this one is stale;
 *  - no version yet on that day (a row older than the member's first version): the first version
 *    starts earlier when its tracked attributes are the same, else a version is put in front.
 * So the history is the same whatever order the days are built in, ranges stay contiguous with
 * one current version, and every existing version keeps its key. An inferred member is filled in
 * place: it keeps its key, so facts already pointing to it stay right.
 * New versions get keys above the highest ever given (`keysGivenUpTo` and the dimension's own),
 * in natural-key order, so the same input always yields the same keys. Re-running the same rows
 * changes nothing.
 */
export function mergeObservations(dim: Dimension, observations: readonly Observation[], keysGivenUpTo = 0): DimensionChanges {
  const changes: DimensionChanges = { added: 0, updated: 0, versioned: 0, unchanged: 0, inferred_filled: 0, inferred_added: 0, stale: 0 };
  const pending: { nk: string; version: Version }[] = [];
  const type2 = dim.history === 'type2';
  const earliest = dim.historyStart ?? -Infinity;
  const dayOf = (ms: number) => Math.max(Math.floor(ms / DAY_MS), earliest);
  // Oldest first (stable: rows of the same time keep their order, the later one wins).
  const ordered = type2 && !inTimeOrder(observations) ? [...observations].sort((a, b) => a.at - b.at) : observations;
  for (const { naturalKey: nk, attrs, at } of ordered) {
    const versions = dim.members.get(nk);
    const day = dayOf(at);
    if (!versions) {
      const version: Version = { key: 0, validFrom: type2 ? day : BEGINNING_OF_TIME, validTo: END_OF_TIME, attrs, inferred: false, seenAt: at };
      dim.members.set(nk, [version]);
      pending.push({ nk, version });
      changes.added++;
      continue;
    }
    if (!type2) {
      const v = versions[0]!;
      if (v.inferred) changes.inferred_filled++;
      else if (hashAttributes(v.attrs) === hashAttributes(attrs)) changes.unchanged++;
      else changes.updated++;
      Object.assign(v, { attrs, inferred: false, seenAt: at });
      continue;
    }
    mergeType2(dim, versions, attrs, at, day, changes, (version) => pending.push({ nk, version }));
  }
  assignKeys(dim, pending, keysGivenUpTo);
  return changes;
}

function inTimeOrder(observations: readonly Observation[]): boolean {
  for (let i = 1; i < observations.length; i++) if (observations[i]!.at < observations[i - 1]!.at) return false;
  return true;
}

function trackedHashOf(dim: Dimension, values: readonly unknown[]): string {
  return hashAttributes(dim.tracked.map((t) => values[t]));
}

function openVersion(validFrom: number, validTo: number, attrs: readonly unknown[], seenAt: number): Version {
  return { key: 0, validFrom, validTo, attrs, inferred: false, seenAt };
}

/** One observation of a known type 2 member (see mergeObservations); hands each version it opens to `opened`. */
function mergeType2(dim: Dimension, versions: Version[], attrs: readonly unknown[], at: number, day: number, changes: DimensionChanges, opened: (v: Version) => void): void {
  const trackedHash = (values: readonly unknown[]) => trackedHashOf(dim, values);
  const i = versionIndexAt(versions, day);
  if (i < 0) {
    const first = versions[0]!;
    if (trackedHash(first.attrs) === trackedHash(attrs)) {
      first.validFrom = day;
      changes.updated++;
      return;
    }
    const version = openVersion(day, first.validFrom - 1, attrs, at);
    versions.unshift(version);
    changes.versioned++;
    opened(version);
    return;
  }
  const v = versions[i]!;
  if (v.inferred) {
    // With a history start, the inferred version is written from it anyway: keep the real start for ordering.
    if (dim.historyStart !== undefined) v.validFrom = day;
    Object.assign(v, { attrs, inferred: false, seenAt: at });
    changes.inferred_filled++;
    return;
  }
  const newer = at >= v.seenAt;
  if (hashAttributes(v.attrs) === hashAttributes(attrs)) {
    if (newer) v.seenAt = at;
    changes.unchanged++;
    return;
  }
  if (trackedHash(v.attrs) === trackedHash(attrs) || (newer && v.validFrom === day)) {
    // Untracked attributes, or a same-day correction (a re-run with corrected input).
    if (!newer) changes.stale++;
    else {
      Object.assign(v, { attrs, seenAt: at });
      changes.updated++;
    }
    return;
  }
  // v's values seen again on a day it still covers (a change on the day it ends does not count).
  const resumes = Math.max(Math.floor(v.seenAt / DAY_MS), dim.historyStart ?? -Infinity);
  if (!newer && resumes <= v.validTo) {
    if (v.validFrom >= day || resumes <= day) {
      changes.stale++;
      return;
    }
    const between = openVersion(day, resumes - 1, attrs, at);
    const again = openVersion(resumes, v.validTo, v.attrs, v.seenAt);
    // What v held before `day` was seen no later than its start; later rows may overwrite it.
    Object.assign(v, { validTo: day - 1, seenAt: v.validFrom * DAY_MS });
    versions.splice(i + 1, 0, between, again);
    changes.versioned += 2;
    opened(between);
    opened(again);
    return;
  }
  const next = versions[i + 1];
  if (next && trackedHash(next.attrs) === trackedHash(attrs)) {
    // A backfill of the day a change happened, after a later day recorded it: the later version starts earlier.
    next.validFrom = day;
    v.validTo = day - 1;
    changes.updated++;
    return;
  }
  const version = openVersion(day, v.validTo, attrs, at);
  v.validTo = day - 1;
  versions.splice(i + 1, 0, version);
  changes.versioned++;
  opened(version);
}

/**
 * Adds an inferred member (natural key only, valid for all time from historyStart) for each natural key the
 * dimension does not know yet; returns how many were added. Keys as in mergeSourceRows.
 */
export function addInferredMembers(dim: Dimension, naturalKeys: Iterable<string>, keysGivenUpTo = 0): number {
  const pending: { nk: string; version: Version }[] = [];
  const blank = dim.attributes.map(() => null);
  for (const nk of naturalKeys) {
    if (dim.members.has(nk)) continue;
    const validFrom = dim.historyStart ?? BEGINNING_OF_TIME;
    const version: Version = { key: 0, validFrom, validTo: END_OF_TIME, attrs: blank, inferred: true, seenAt: validFrom * DAY_MS };
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

/**
 * The whole dimension as record batches ordered by key, starting with the unknown member (-1).
 * Type 2: with a historyStart, the first version of each member (and the unknown member) is
 * valid from it, so every member's ranges cover every day from historyStart on.
 */
export function* dimensionBatches(dim: Dimension, batchSize: number): Generator<arrow.RecordBatch> {
  const b = new BatchBuilder(dim.columns);
  const type2 = dim.history === 'type2';
  const start = dim.historyStart;
  const history = (v: Version, first: boolean): unknown[] => {
    if (!type2) return [v.inferred];
    const validFrom = first && start !== undefined ? start : v.validFrom;
    return [validFrom * DAY_MS, v.validTo * DAY_MS, v.validTo === END_OF_TIME, v.inferred, v.validFrom * DAY_MS, v.inferred ? null : v.seenAt];
  };
  const unknownAttrs = dim.columns.slice(2, 2 + dim.attributes.length).map((c) => (c.kind === 'string' ? 'Unknown' : null));
  const unknownHistory = type2 ? [(start ?? BEGINNING_OF_TIME) * DAY_MS, END_OF_TIME * DAY_MS, true, false, null, null] : [false];
  b.appendRow([UNKNOWN_KEY, UNKNOWN_NATURAL_KEY, ...unknownAttrs, ...unknownHistory]);
  const rows: [string, Version, boolean][] = [];
  for (const [nk, versions] of dim.members) versions.forEach((v, i) => rows.push([nk, v, i === 0]));
  rows.sort((x, y) => x[1].key - y[1].key);
  for (const [nk, v, first] of rows) {
    b.appendRow([v.key, nk, ...v.attrs, ...history(v, first)]);
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
