/**
 * Whether a follower has closed a day of one topic partition (pure; see docs/sources.md "A
 * followed source in the nightly DAG"). The follower lands a record in the day of its broker
 * timestamp, never before the day of the partition's previous record, so a day's range of a
 * partition ends at Kafka's offsetsForTimes(ds's end): the first offset stamped at or after
 * the end (the end of ds's UTC day: follow mode's days are calendar days). Every record below the partition's position in the lake at the end of ds (`position`)
 * is landed in ds or earlier; ds is closed when the record at `position` is stamped at or after
 * the end, which shows in one of three ways, cheapest first.
 */

/** What the lake and the broker say about one topic partition at the end of ds. */
export interface PartitionEvidence {
  readonly topic: string;
  readonly partition: number;
  /**
   * End (exclusive) of the partition's range in ds's manifest, else in the latest earlier day
   * that records one, else (placed false) the earliest retained offset, where a follower starts.
   */
  readonly position: bigint;
  /** Whether the lake records a range of the partition in ds or an earlier day. */
  readonly placed: boolean;
  /** The first later day whose manifest records the partition, and where its range starts. */
  readonly later?: { readonly ds: string; readonly from: bigint };
  /** The broker's answer at `position`: the first record there, or none (the log ends there). */
  readonly broker?: { readonly timestamp?: number; readonly highWatermark: bigint };
}

export type PartitionClosing =
  | { readonly closed: true; readonly by: 'next-day' | 'record-after-end' | 'caught-up' }
  | { readonly closed: false; readonly reason: string; readonly lagRecords?: bigint };


/**
 * The closing rule, true on Kafka and on tansu (whose ListOffsets by time answers offset 0, so the
 * broker's offsetsForTimes is not asked):
 * 1. a later day records the partition from exactly `position`: the follower landed the record at
 *    `position` in a later day, so it is stamped after ds;
 * 2. the broker's record at `position` is stamped at or after ds's end;
 * 3. the log ends at `position` (the follower read everything) and ds's end is graceMs
 *    past: a record stamped in ds can no longer be on its way.
 * Otherwise ds is open, with the records the follower has still to land before the end.
 */
export function closingOf(e: PartitionEvidence, dayEndMs: number, nowMs: number, graceMs: number): PartitionClosing {
  if (e.later && (!e.placed || e.later.from === e.position)) return { closed: true, by: 'next-day' };
  if (!e.broker) return { closed: false, reason: 'the broker did not answer a fetch at the lake position' };
  const at = e.placed ? `offset ${e.position}` : `offset ${e.position} (the earliest retained: the lake records none of this partition up to ds)`;
  if (e.broker.timestamp !== undefined) {
    if (e.broker.timestamp >= dayEndMs) return { closed: true, by: 'record-after-end' };
    const lagRecords = e.broker.highWatermark - e.position;
    const behind = formatDuration(dayEndMs - e.broker.timestamp);
    return { closed: false, lagRecords, reason: `${lagRecords} records not landed yet: the lake ends at ${at}, the log at ${e.broker.highWatermark}; the first record not landed is stamped ${new Date(e.broker.timestamp).toISOString()}, ${behind} before ds's end` };
  }
  const waitUntil = dayEndMs + graceMs;
  if (nowMs >= waitUntil) return { closed: true, by: 'caught-up' };
  return { closed: false, lagRecords: 0n, reason: `the follower has read the log to its end (${at}) and no record is stamped at or after ds's end yet; records stamped before it may still arrive until ${new Date(waitUntil).toISOString()} (follow.close_grace_ms)` };
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
