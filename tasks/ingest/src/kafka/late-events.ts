import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import type { Lake, Manifest, ManifestFile } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';

/**
 * What a raw Kafka partition's manifest records, under meta.kafka.late_in, of the late events
 * appended to it: records whose event time is in this ds but that arrived (by broker timestamp)
 * in a later one, landed here by that later day's run or micro-batch.
 */
export interface LateIn {
  /** Late records appended to this partition. */
  readonly rows: number;
  /**
   * Per topic partition and the ds its records arrived in: every late record of that partition
   * and arrival day below offset `to` that belongs here is in this partition. Keyed by arrival day
   * too, as days may be ingested out of order (a catch-up runs days in parallel).
   */
  readonly ranges: readonly LateRange[];
  /** The files holding them: a batch re-run of this ds replaces its own records and keeps these. */
  readonly files: readonly string[];
  /** Late records by the ds they arrived in. */
  readonly from: Readonly<Record<string, number>>;
}

export interface LateRange {
  readonly topic: string;
  readonly partition: number;
  readonly arrived_in: string;
  readonly to: string;
}

/** One late record: where it was in the log, the ds it arrived in, and its row as the raw partition's columns. */
interface LateRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly arrivedIn: string;
  readonly row: readonly unknown[];
}

/** A late range's key: topic partition and arrival ds. */
const rangeKey = (topic: string, partition: number, arrivedIn: string) => `${topic}/${partition}@${arrivedIn}`;

/** The late_in of a raw manifest, if it holds late records. */
export function lateInOf(m: Pick<Manifest, 'meta'> | undefined): LateIn | undefined {
  return (m?.meta.kafka as { late_in?: LateIn } | undefined)?.late_in;
}

/** The files of a raw manifest that hold late records appended to it: a batch re-run keeps them. */
export function lateFilesOf(m: Manifest | undefined): ManifestFile[] {
  const keys = new Set(lateInOf(m)?.files ?? []);
  return (m?.files ?? []).filter((f) => keys.has(f.key));
}

/** A partition's records counted three ways, which must add up to what was read. */
export interface KafkaCounts {
  readonly read: number;
  readonly landed: number;
  readonly quarantined: number;
  /** Late events read here and landed in the partitions of their event days instead (late_events: event_day). */
  readonly moved_late?: number;
}

/** Throws unless read = landed + quarantined + moved to earlier days: no record is silently lost. */
export function assertBalanced(c: KafkaCounts, what: string): void {
  const moved = c.moved_late ?? 0;
  if (c.read !== c.landed + c.quarantined + moved) {
    throw new Error(`${what}: read ${c.read} records but landed ${c.landed}, quarantined ${c.quarantined} and moved ${moved} to their event days`);
  }
}

/** The earlier partition's meta after appending late records (pure); a conflict when another writer appended some of the same partitions' later records first. */
export function mergeLateIn(
  previous: Manifest | undefined,
  add: readonly (LateRange & { readonly first: bigint; readonly rows: number })[],
  added: readonly ManifestFile[],
  owner: { readonly source: string; readonly group: string },
): { readonly meta: Readonly<Record<string, unknown>> } | { readonly conflict: string } {
  const kafka = (previous?.meta.kafka as Record<string, unknown> | undefined) ?? { group: owner.group, ranges: [], read: 0, landed: 0, quarantined: 0 };
  const have = lateInOf(previous);
  const ranges = new Map((have?.ranges ?? []).map((r) => [rangeKey(r.topic, r.partition, r.arrived_in), r]));
  for (const a of add) {
    const at = ranges.get(rangeKey(a.topic, a.partition, a.arrived_in));
    if (at && BigInt(at.to) > a.first) return { conflict: `${a.topic}/${a.partition}: late records that arrived in ${a.arrived_in} up to offset ${at.to} are already in dt=${previous!.ds}, these start at ${a.first}` };
  }
  const from = { ...(have?.from ?? {}) };
  for (const a of add) {
    ranges.set(rangeKey(a.topic, a.partition, a.arrived_in), { topic: a.topic, partition: a.partition, arrived_in: a.arrived_in, to: a.to });
    from[a.arrived_in] = (from[a.arrived_in] ?? 0) + a.rows;
  }
  const lateIn: LateIn = {
    rows: (have?.rows ?? 0) + add.reduce((n, a) => n + a.rows, 0),
    ranges: [...ranges.values()].sort((a, b) => (a.topic !== b.topic ? (a.topic < b.topic ? -1 : 1) : a.partition !== b.partition ? a.partition - b.partition : a.arrived_in < b.arrived_in ? -1 : 1)),
    files: [...(have?.files ?? []), ...added.filter((f) => f.rows > 0).map((f) => f.key)],
    from: Object.fromEntries(Object.entries(from).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  return { meta: { ...(previous?.meta ?? { source: owner.source, kind: 'kafka' }), kafka: { ...kafka, late_in: lateIn } } };
}

/** How many conflicting appends (other writers appending the same partitions' late records) a landing retries before failing. */
const LATE_ATTEMPTS = 5;

/**
 * Late events of one entity held until they are landed in the raw partitions of their event
 * days. A record is landed once: each earlier partition records per topic partition how far its
 * late records go (late_in.ranges), and records below that (an earlier attempt, or another member
 * of the group after a rebalance, landed them) are left out. They are landed before the arrival
 * day's own commit, so a crash in between loses nothing: the arrival day is read again and the
 * records found landed.
 */
export class LateEvents {
  private byDs = new Map<string, LateRecord[]>();
  private count = 0;

  constructor(
    private readonly columns: readonly ColumnDef[],
    private readonly dataset: string,
  ) {}

  get size(): number {
    return this.count;
  }

  add(eventDs: string, arrivedIn: string, topic: string, partition: number, offset: bigint, row: readonly unknown[]): void {
    let list = this.byDs.get(eventDs);
    if (!list) this.byDs.set(eventDs, (list = []));
    list.push({ topic, partition, offset, arrivedIn, row });
    this.count++;
  }

  clear(): void {
    this.byDs = new Map();
    this.count = 0;
  }

  /** Appends the held records to their event days' partitions, oldest day first; returns how many each got (records found there already excluded). */
  async land(lake: Lake, writer: { readonly step: string; readonly runId: string }, owner: { readonly source: string; readonly group: string }, log: Logger): Promise<Record<string, number>> {
    const appended: Record<string, number> = {};
    for (const ds of [...this.byDs.keys()].sort()) {
      appended[ds] = await this.landDay(lake, ds, this.byDs.get(ds)!, writer, owner);
      const skipped = this.byDs.get(ds)!.length - appended[ds]!;
      log.info(`${appended[ds]} late events appended to dt=${ds}, which needs re-processing`, { dataset: this.dataset, ds, ...(skipped ? { alreadyThere: skipped } : {}) });
    }
    this.clear();
    return appended;
  }

  private async landDay(lake: Lake, ds: string, records: readonly LateRecord[], writer: { readonly step: string; readonly runId: string }, owner: { readonly source: string; readonly group: string }): Promise<number> {
    for (let attempt = 1; attempt <= LATE_ATTEMPTS; attempt++) {
      const below = new Map((lateInOf(await lake.readManifest(this.dataset, ds))?.ranges ?? []).map((r) => [rangeKey(r.topic, r.partition, r.arrived_in), BigInt(r.to)]));
      const fresh = records.filter((r) => r.offset >= (below.get(rangeKey(r.topic, r.partition, r.arrivedIn)) ?? 0n));
      if (!fresh.length) return 0;
      const add = new Map<string, LateRange & { first: bigint; rows: number }>();
      const rows = new BatchBuilder(this.columns);
      for (const r of fresh) {
        const k = rangeKey(r.topic, r.partition, r.arrivedIn);
        const a = add.get(k);
        if (!a) add.set(k, { topic: r.topic, partition: r.partition, arrived_in: r.arrivedIn, first: r.offset, to: String(r.offset + 1n), rows: 1 });
        else {
          if (r.offset < a.first) a.first = r.offset;
          if (r.offset + 1n > BigInt(a.to)) (a as { to: string }).to = String(r.offset + 1n);
          a.rows++;
        }
        rows.appendRow(r.row);
      }
      const w = lake.openPartition({ dataset: this.dataset, ds, step: writer.step, runId: writer.runId, schema: rows.schema });
      await w.write(rows.finish());
      const r = await w.commitAppend((prev, added) => mergeLateIn(prev, [...add.values()], added, owner));
      if (r.manifest) return fresh.length;
    }
    throw new Error(`${this.dataset} dt=${ds}: ${LATE_ATTEMPTS} appends of late events lost to other writers`);
  }
}
