import type { Manifest } from '@salesflow/lake';
import type { KafkaManifestMeta, OffsetRange } from './kafka-ingest';

/** The UTC day (YYYY-MM-DD) of an instant in epoch milliseconds. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The ds a record of one topic partition lands in: the day of its broker timestamp, never
 * earlier than the day the partition's previous record landed in (a late record stays in the
 * current day). That is batch mode's rule (a day of a partition ends at its first record stamped
 * at or after the day's end, and the next day continues from there), so a batch re-run of a day
 * reads the very offsets follow mode landed in it.
 */
export function landingDay(current: string | undefined, timestampMs: number): string {
  const day = dayOf(timestampMs);
  return current !== undefined && current > day ? current : day;
}

/** One (entity, ds) share of a micro-batch. */
export interface MicroBatchShare {
  /** Per topic partition: from is where the partition stood before this micro-batch (inclusive), to one past its last record here. */
  readonly ranges: readonly OffsetRange[];
  readonly read: number;
  readonly landed: number;
  /** Bad records read, whether written to quarantine now or by an earlier attempt. */
  readonly quarantined: number;
  /** Bad records this share writes to quarantine. */
  readonly quarantineRows: number;
  /** Per topic partition: bad records below this offset were left out, being in quarantine already. */
  readonly quarantinedBelow: ReadonlyMap<string, bigint>;
  /** Records read whose event time is in an earlier ds than this one, by that event ds. */
  readonly late?: Readonly<Record<string, number>>;
  /** Of those, the ones landed in their event days' partitions instead of this one. */
  readonly movedLate?: number;
}

/** Late events by event ds, added up (pure). */
export function addLate(a: Readonly<Record<string, number>> | undefined, b: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = { ...(a ?? {}) };
  for (const [ds, n] of Object.entries(b ?? {})) out[ds] = (out[ds] ?? 0) + n;
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : 1)));
}

/** The meta.kafka of a manifest follow mode commits: batch mode's, plus the micro-batches appended. */
export interface FollowManifestMeta extends KafkaManifestMeta {
  readonly micro_batches: number;
}

type Decision = { readonly meta: Readonly<Record<string, unknown>> } | { readonly conflict: string };

const key = (r: Pick<OffsetRange, 'topic' | 'partition'>) => `${r.topic}/${r.partition}`;

function previousMeta(previous: Manifest | undefined): Partial<FollowManifestMeta> {
  return (previous?.meta.kafka as Partial<FollowManifestMeta> | undefined) ?? {};
}

/** The ranges of `have` with `add` put in: a range of a partition already there keeps its from and takes the new to. */
function extend(have: readonly OffsetRange[], add: readonly OffsetRange[], to: (old: OffsetRange, r: OffsetRange) => string): OffsetRange[] {
  const out = new Map(have.map((r) => [key(r), r]));
  for (const r of add) {
    const old = out.get(key(r));
    out.set(key(r), old ? { ...old, to: to(old, r) } : r);
  }
  return [...out.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/**
 * The raw manifest's meta after appending a share (pure). A partition already in the manifest
 * must end exactly where the share starts: anything else means another member of the group (after
 * a rebalance) or an earlier attempt committed those offsets, and the share is refused whole.
 */
export function mergeRaw(previous: Manifest | undefined, share: MicroBatchShare, owner: { readonly source: string; readonly group: string }): Decision {
  const prev = previousMeta(previous);
  const ranges = prev.ranges ?? [];
  for (const r of share.ranges) {
    const old = ranges.find((o) => key(o) === key(r));
    if (old && old.to !== r.from) return { conflict: `${key(r)}: dt=${previous!.ds} records offsets up to ${old.to}, this micro-batch starts at ${r.from}` };
  }
  const meta: FollowManifestMeta = {
    // Late events later days appended to this ds are recorded by late_in, which an append keeps.
    ...(prev.late_in ? { late_in: prev.late_in } : {}),
    group: owner.group,
    ranges: extend(ranges, share.ranges, (_o, r) => r.to),
    read: (prev.read ?? 0) + share.read,
    landed: (prev.landed ?? 0) + share.landed,
    quarantined: (prev.quarantined ?? 0) + share.quarantined,
    micro_batches: (prev.micro_batches ?? 0) + 1,
    late: addLate(prev.late, share.late),
    moved_late: (prev.moved_late ?? 0) + (share.movedLate ?? 0),
  };
  return { meta: { source: owner.source, kind: 'kafka', mode: 'follow', kafka: meta } };
}

/**
 * The quarantine manifest's meta after appending a share's bad records (pure). Its ranges say how
 * far bad records of each partition are in quarantine; the share may only add records past that,
 * so a micro-batch whose quarantine commit landed but whose raw commit did not (a crash between
 * them) never quarantines a record twice when it is read again.
 */
export function mergeQuarantine(previous: Manifest | undefined, share: MicroBatchShare, owner: { readonly source: string; readonly group: string }): Decision {
  const prev = previousMeta(previous);
  const ranges = prev.ranges ?? [];
  for (const r of share.ranges) {
    const old = ranges.find((o) => key(o) === key(r));
    const below = share.quarantinedBelow.get(key(r)) ?? BigInt(r.from);
    const writtenFrom = below > BigInt(r.from) ? below : BigInt(r.from);
    if (old && BigInt(old.to) > writtenFrom) return { conflict: `${key(r)}: quarantine dt=${previous!.ds} holds bad records up to ${old.to}, this micro-batch writes from ${writtenFrom}` };
  }
  const meta = {
    group: owner.group,
    ranges: extend(ranges, share.ranges, (o, r) => (BigInt(r.to) > BigInt(o.to) ? r.to : o.to)),
    quarantined: ((prev.quarantined as number | undefined) ?? 0) + share.quarantineRows,
    micro_batches: (prev.micro_batches ?? 0) + 1,
  };
  return { meta: { source: owner.source, kind: 'kafka', mode: 'follow', kafka: meta } };
}
