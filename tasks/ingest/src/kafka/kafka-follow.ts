import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { BatchBuilder } from '@salesflow/batches';
import type { KafkaEntityConfig, KafkaSourceConfig, PipelineConfig } from '@salesflow/config';
import { UsageError } from '@salesflow/errors';
import { datasets, type Lake, type Storage } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';
import { dayOf, landingDay, mergeQuarantine, mergeRaw, type FollowManifestMeta, type MicroBatchShare } from './follow-commit';
import { assertBalanced, LateEvents } from './late-events';
import { QUARANTINED_VALUE_CHARS, QUARANTINE_COLUMNS, kafkaClientOf, quarantineDataset, recordColumnsOf, tpKey, type OffsetRange } from './kafka-ingest';
import { parseKafkaRecord, quarantinedValue } from './parse-kafka-record';
import { valueDecoderOf, type ValueDecoder } from './value-decoders';

/** What a follower needs: no ds, as each record's ds comes from its timestamp. */
export interface FollowContext {
  readonly step: string;
  readonly runId: string;
  readonly config: PipelineConfig;
  readonly lake: Lake;
  readonly log: Logger;
}

/** What a follower did, for its summary line. */
export interface FollowResult {
  readonly microBatches: number;
  readonly read: number;
  readonly landed: number;
  readonly quarantined: number;
  /** Micro-batches refused at commit because another member had committed their offsets. */
  readonly refused: number;
  readonly rebalances: number;
}

/** One committed micro-batch, for logs, tests and the latency benchmark. */
export interface MicroBatchCommitted {
  readonly ranges: readonly OffsetRange[];
  readonly records: number;
  readonly partitions: readonly string[];
  /** Milliseconds from the oldest record's broker timestamp to the commit. */
  readonly lagMs: number;
}

/** Where one assigned topic partition stands. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly entity: KafkaEntityConfig;
  /** First offset neither committed nor buffered: records below it are dropped as already taken. */
  next: bigint;
  /** The ds the partition's latest record landed in (running maximum of record days). */
  day?: string;
  /** Bad records below this offset are in quarantine already (a crash between the two commits). */
  readonly quarantinedBelow: bigint;
}

/** One (entity, ds) share of the micro-batch being built. */
interface Share {
  readonly entity: KafkaEntityConfig;
  readonly ds: string;
  readonly rows: BatchBuilder;
  readonly rejects: BatchBuilder;
  readonly ranges: Map<string, { topic: string; partition: number; from: bigint; to: bigint }>;
  readonly quarantinedBelow: Map<string, bigint>;
  read: number;
  quarantined: number;
  readonly late: Record<string, number>;
  /** Late events taken out to their event days (late_events: event_day). */
  movedLate: number;
}

/**
 * Follows the topics of a Kafka source as a member of its consumer group until `signal` aborts,
 * committing a micro-batch into the lake every follow.max_interval_ms or follow.max_records;
 * see docs/sources.md "Following a topic". Returns after the last micro-batch is committed and
 * the consumer has left the group.
 */
export async function runKafkaFollow(ctx: FollowContext, source: KafkaSourceConfig, configPath: string, signal: AbortSignal, onCommit?: (c: MicroBatchCommitted) => void): Promise<FollowResult> {
  await assertConditionalWrites(ctx.lake.storage, source.name);
  const kafka = kafkaClientOf(source, configPath);
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId: source.group, sessionTimeout: source.session_timeout_ms, maxWaitTimeInMs: 250, allowAutoTopicCreation: false, maxBytesPerPartition: 4_194_304 });
  const follower = new Follower(ctx, source, consumer, admin, configPath, onCommit);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: source.entities.flatMap((e) => e.topics), fromBeginning: true });
    const stopped = new Promise<void>((resolve, reject) => {
      follower.fail = reject;
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      consumer.on(consumer.events.CRASH, (ev) => {
        if (!ev.payload.restart) reject(ev.payload.error);
      });
      consumer.on(consumer.events.GROUP_JOIN, (ev) => follower.assign(ev.payload.memberAssignment));
    });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => follower.onBatch(p) });
    const ticker = setInterval(() => follower.tick(), 100);
    try {
      await stopped;
    } finally {
      clearInterval(ticker);
    }
    ctx.log.info('stopping: committing the micro-batch in progress, then leaving the group');
    await follower.stop();
  } finally {
    // Leaves the group, so the other members take over the partitions at once instead of after the session timeout.
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return follower.result();
}

class Follower {
  fail: (e: unknown) => void = () => undefined;
  private states = new Map<string, PartitionState>();
  private shares = new Map<string, Share>();
  private buffered = 0;
  private oldest = Infinity;
  private since = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private flushQueued = false;
  private stopping = false;
  private readonly counts = { microBatches: 0, read: 0, landed: 0, quarantined: 0, refused: 0, rebalances: 0 };
  private readonly columns = new Map<string, ReturnType<typeof recordColumnsOf>>();
  private readonly decoders = new Map<string, ValueDecoder>();
  private readonly entityOf = new Map<string, KafkaEntityConfig>();
  /** Per entity: late events of the micro-batch in progress, landed in their event days first at its commit. */
  private readonly late = new Map<string, LateEvents>();
  private readonly log: Logger;

  constructor(
    private readonly ctx: FollowContext,
    private readonly source: KafkaSourceConfig,
    private readonly consumer: Consumer,
    private readonly admin: Admin,
    configPath: string,
    private readonly onCommit?: (c: MicroBatchCommitted) => void,
  ) {
    this.log = ctx.log;
    for (const e of source.entities) {
      this.columns.set(e.name, recordColumnsOf(ctx.config, source, e));
      this.decoders.set(e.name, valueDecoderOf(e, `${configPath}.entities.${source.entities.indexOf(e)}`));
      this.late.set(e.name, new LateEvents(this.columns.get(e.name)!.columns, datasets.raw('kafka', source.name, e.name)));
      for (const t of e.topics) this.entityOf.set(t, e);
    }
  }

  result(): FollowResult {
    return { ...this.counts };
  }

  /** Runs fn after everything queued before it: batches, timed flushes and rebalances never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * A new assignment (every rebalance): what was buffered is dropped, as a revoked partition's
   * records must not be committed from here, and every assigned partition restarts from where
   * the lake says it stands, never from the broker's group offsets.
   */
  assign(assignment: Record<string, number[]>): void {
    this.counts.rebalances++;
    const tps = Object.entries(assignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    this.serial(async () => {
      this.discard();
      await this.resync(tps);
      this.log.info(`assigned ${tps.length} partition(s)`, { partitions: tps.map((t) => tpKey(t.topic, t.partition)), positions: Object.fromEntries([...this.states.values()].map((s) => [tpKey(s.topic, s.partition), String(s.next)])) });
    }).catch((e: unknown) => this.fail(e));
  }

  async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    let idle = false;
    await this.serial(async () => {
      const s = this.states.get(tpKey(batch.topic, batch.partition));
      if (!s || this.stopping || isStale()) return void (idle = true);
      // A fetch from past our position (the group's offset, before our seek took effect) could skip records: fetch again from ours.
      const fetched = (batch as unknown as { fetchedOffset?: string }).fetchedOffset;
      if (fetched !== undefined && BigInt(fetched) > s.next) {
        this.consumer.seek({ topic: s.topic, partition: s.partition, offset: String(s.next) });
        return void (idle = true);
      }
      for (const m of batch.messages) this.take(s, m);
      const last = batch.messages[batch.messages.length - 1];
      if (last) resolveOffset(last.offset);
      if (this.buffered >= this.source.follow.max_records) await this.flush();
    }).catch((e: unknown) => this.fail(e));
    if (idle) await new Promise((r) => setTimeout(r, 50));
    await heartbeat().catch(() => undefined);
  }

  /** Every 100 ms: commits the micro-batch once its first record has waited max_interval_ms. */
  tick(): void {
    if (this.flushQueued || this.stopping || this.buffered === 0 || Date.now() - this.since < this.source.follow.max_interval_ms) return;
    this.flushQueued = true;
    this.serial(() => this.flush())
      .finally(() => (this.flushQueued = false))
      .catch((e: unknown) => this.fail(e));
  }

  /** Stops taking records and commits what was taken (the micro-batch in progress), after any flush already running. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.serial(() => this.flush());
  }

  private take(s: PartitionState, m: KafkaMessage): void {
    const offset = BigInt(m.offset);
    // (topic, partition, offset) is the key: a record fetched again is never taken twice.
    if (offset < s.next) return;
    const ts = Number(m.timestamp);
    const ds = landingDay(s.day, ts);
    const share = this.shareOf(s.entity, ds);
    const k = tpKey(s.topic, s.partition);
    let range = share.ranges.get(k);
    if (!range) {
      range = { topic: s.topic, partition: s.partition, from: s.next, to: s.next };
      share.ranges.set(k, range);
      share.quarantinedBelow.set(k, s.quarantinedBelow);
    }
    const { valueColumns } = this.columns.get(s.entity.name)!;
    const r = parseKafkaRecord(m, s.entity, valueColumns, this.decoders.get(s.entity.name)!);
    const base = [s.topic, s.partition, offset, ts, m.key ? m.key.toString('utf8') : null];
    share.read++;
    if (r.ok) {
      const row = [...base, r.headers, r.eventTime, ...r.values];
      const eventDs = dayOf(r.eventTime);
      if (eventDs < ds) share.late[eventDs] = (share.late[eventDs] ?? 0) + 1;
      if (eventDs < ds && s.entity.late_events === 'event_day') {
        this.late.get(s.entity.name)!.add(eventDs, ds, s.topic, s.partition, offset, row);
        share.movedLate++;
      } else share.rows.appendRow(row);
    } else {
      share.quarantined++;
      if (offset >= s.quarantinedBelow) share.rejects.appendRow([...base, r.reason, quarantinedValue(m.value, s.entity.value_format, QUARANTINED_VALUE_CHARS)]);
    }
    range.to = offset + 1n;
    s.next = offset + 1n;
    s.day = ds;
    if (this.buffered++ === 0) this.since = Date.now();
    if (ts < this.oldest) this.oldest = ts;
  }

  private shareOf(entity: KafkaEntityConfig, ds: string): Share {
    const key = `${ds}|${entity.name}`;
    let share = this.shares.get(key);
    if (!share) {
      share = { entity, ds, rows: new BatchBuilder(this.columns.get(entity.name)!.columns), rejects: new BatchBuilder(QUARANTINE_COLUMNS), ranges: new Map(), quarantinedBelow: new Map(), read: 0, quarantined: 0, late: {}, movedLate: 0 };
      this.shares.set(key, share);
    }
    return share;
  }

  private discard(): void {
    this.shares = new Map();
    for (const l of this.late.values()) l.clear();
    this.buffered = 0;
    this.oldest = Infinity;
  }

  /**
   * Commits the micro-batch: per ds in ascending order (a partition's later day never becomes
   * visible before its earlier one), the quarantine share first, then the raw share, whose
   * manifest is the commit; then the group's offsets. A share refused at commit (another member
   * committed those offsets) drops the rest, and every partition restarts from the lake.
   */
  private async flush(): Promise<void> {
    if (this.shares.size === 0) return;
    const shares = [...this.shares.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
    const records = this.buffered;
    const oldest = this.oldest;
    const late = [...this.late.values()].filter((l) => l.size);
    const owner = { source: this.source.name, group: this.source.group };
    // Late events first, into their event days: a crash before the raw commits reads them again and finds them landed.
    for (const l of late) await l.land(this.ctx.lake, { step: this.ctx.step, runId: this.ctx.runId }, owner, this.log);
    this.discard();
    const committed: OffsetRange[] = [];
    for (const sh of shares) {
      const ranges: OffsetRange[] = [...sh.ranges.values()].map((r) => ({ topic: r.topic, partition: r.partition, from: String(r.from), to: String(r.to) }));
      const share: MicroBatchShare = { ranges, read: sh.read, landed: sh.rows.length, quarantined: sh.quarantined, quarantineRows: sh.rejects.length, quarantinedBelow: sh.quarantinedBelow, late: sh.late, movedLate: sh.movedLate };
      const open = (dataset: string, b: BatchBuilder) => this.ctx.lake.openPartition({ dataset, ds: sh.ds, step: this.ctx.step, runId: this.ctx.runId, schema: b.schema });
      if (share.quarantineRows) {
        const q = open(quarantineDataset(this.source.name, sh.entity.name), sh.rejects);
        await q.write(sh.rejects.finish());
        const r = await q.commitAppend((prev) => mergeQuarantine(prev, share, owner));
        if (r.conflict) return this.refuse(r.conflict);
        this.log.warn(`${share.quarantineRows} records quarantined`, { entity: sh.entity.name, ds: sh.ds });
      }
      const w = open(datasets.raw('kafka', this.source.name, sh.entity.name), sh.rows);
      if (share.landed) await w.write(sh.rows.finish());
      const r = await w.commitAppend((prev) => mergeRaw(prev, share, owner));
      if (r.conflict) return this.refuse(r.conflict);
      assertBalanced(r.manifest!.meta.kafka as FollowManifestMeta, `${sh.entity.name} dt=${sh.ds}`);
      this.counts.read += share.read;
      this.counts.landed += share.landed;
      this.counts.quarantined += share.quarantined;
      committed.push(...ranges);
    }
    this.counts.microBatches++;
    const info: MicroBatchCommitted = { ranges: committed, records, partitions: [...new Set(shares.map((s) => s.ds))], lagMs: Date.now() - oldest };
    this.log.info(`committed a micro-batch of ${records} records`, { ds: info.partitions, lagMs: info.lagMs, ranges: committed });
    this.onCommit?.(info);
    // After the lake, as in batch mode; for lag tools only, so a failure (a rebalance under way) is not an error.
    const ends = new Map(committed.map((r) => [tpKey(r.topic, r.partition), r]));
    await this.consumer.commitOffsets([...ends.values()].map((r) => ({ topic: r.topic, partition: r.partition, offset: r.to }))).catch((e: Error) => this.log.debug(`group offsets not committed: ${e.message}`));
  }

  private async refuse(conflict: string): Promise<void> {
    this.counts.refused++;
    this.log.warn(`micro-batch refused at commit, re-reading from the lake's offsets: ${conflict}`);
    this.discard();
    await this.resync([...this.states.values()]);
  }

  /** Sets every given partition to the lake's position (the end of its latest committed range, else the earliest retained offset) and seeks there. */
  private async resync(tps: readonly { topic: string; partition: number }[]): Promise<void> {
    const states = new Map<string, PartitionState>();
    for (const entity of this.source.entities) {
      const mine = tps.filter((t) => entity.topics.includes(t.topic));
      if (!mine.length) continue;
      const keys = new Set(mine.map((t) => tpKey(t.topic, t.partition)));
      const retention = this.ctx.config.lake.retention_days.raw;
      const raw = await lakePositions(this.ctx.lake, datasets.raw('kafka', this.source.name, entity.name), keys, retention);
      const quarantined = await lakePositions(this.ctx.lake, quarantineDataset(this.source.name, entity.name), keys, retention);
      const low = new Map<string, bigint>();
      for (const topic of new Set(mine.map((t) => t.topic))) {
        for (const o of await this.admin.fetchTopicOffsets(topic)) low.set(tpKey(topic, o.partition), BigInt(o.low));
      }
      for (const t of mine) {
        const k = tpKey(t.topic, t.partition);
        const at = raw.get(k);
        const next = at?.to ?? low.get(k) ?? 0n;
        states.set(k, { topic: t.topic, partition: t.partition, entity, next, day: at?.ds, quarantinedBelow: quarantined.get(k)?.to ?? 0n });
        this.consumer.seek({ topic: t.topic, partition: t.partition, offset: String(next) });
      }
    }
    this.states = states;
  }
}

/**
 * Where each wanted topic partition stands in a dataset: the end of its range in the latest
 * committed ds that records one (batch or follow). Days are probed newest first, from tomorrow
 * (clocks run ahead) back through the raw retention, one manifest read each, so a follower's
 * (re)start costs a few reads rather than a listing of every file of the dataset.
 */
async function lakePositions(lake: Lake, dataset: string, wanted: ReadonlySet<string>, retentionDays: number): Promise<Map<string, { to: bigint; ds: string }>> {
  const found = new Map<string, { to: bigint; ds: string }>();
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  for (let d = 1; d >= -retentionDays - 1 && found.size < wanted.size; d--) {
    const ds = new Date(today + d * 86_400_000).toISOString().slice(0, 10);
    const ranges = ((await lake.readManifest(dataset, ds))?.meta.kafka as { ranges?: OffsetRange[] } | undefined)?.ranges ?? [];
    for (const r of ranges) {
      const k = tpKey(r.topic, r.partition);
      if (wanted.has(k) && !found.has(k)) found.set(k, { to: BigInt(r.to), ds });
    }
  }
  return found;
}

/**
 * Followers sharing a group commit into the same manifests, which is safe only where a write
 * can be made conditional: an S3 server that ignores If-Match would let two commits overwrite
 * each other silently. Checked once at start with a probe object.
 */
async function assertConditionalWrites(storage: Storage, source: string): Promise<void> {
  const key = `_state/${source}/_follow-probe.json`;
  await storage.putBytes(key, JSON.stringify({ probe: Date.now() }), 'application/json');
  const honoured = !(await storage.putBytesIf(key, '{}', '"not-the-current-version"', 'application/json'));
  await storage.deleteMany([key]);
  if (!honoured) {
    throw new UsageError(`the lake at ${storage.rootUri} ignores conditional writes (a PUT with If-Match of a wrong ETag succeeded), so followers could overwrite each other's commits`, {
      fix: 'keep the lake on AWS S3, MinIO or another S3 server with conditional writes (If-Match, If-None-Match), or on a local folder; batch mode does not need them',
    });
  }
}
