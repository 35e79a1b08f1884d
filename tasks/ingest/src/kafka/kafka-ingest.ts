import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type SASLOptions } from 'kafkajs';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { driverTlsOptions, type KafkaEntityConfig, type KafkaSourceConfig, type PipelineConfig } from '@salesflow/config';
import { BadInputError, ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, type Manifest, type ManifestVersion } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import { dataIntervalOf, type DatasetRef, type StepContext, type StepResult } from '@salesflow/step';
import { declaredColumnsOf } from '../declared-columns';
import { dayOf } from './follow-commit';
import { assertBalanced, lateFilesOf, lateInOf, LateEvents, type LateIn } from './late-events';
import { parseKafkaRecord, quarantinedValue, type ParsedRecord } from './parse-kafka-record';
import { valueDecoderOf } from './value-decoders';

/** The offsets of one topic partition a batch covers: from inclusive, to exclusive. */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

/** What a raw Kafka partition's manifest records under meta.kafka. */
export interface KafkaManifestMeta {
  readonly group: string;
  readonly ranges: readonly OffsetRange[];
  readonly read: number;
  readonly landed: number;
  readonly quarantined: number;
  /**
   * Records read here whose event time falls in an earlier ds, by that event ds: the days whose
   * figures by event time changed after they were processed (npm run status lists them).
   */
  readonly late?: Readonly<Record<string, number>>;
  /** Late records read here and appended to their event days' partitions instead (late_events: event_day), not counted in landed. */
  readonly moved_late?: number;
  /** Late records of this ds that arrived in later days, appended here (see late-events.ts). */
  readonly late_in?: LateIn;
}

/** A topic partition as one key: "orders/2". */
export const tpKey = (topic: string, partition: number) => `${topic}/${partition}`;

/** Where a record was in the log: the first columns of landed and of quarantined records. */
const LOG_COLUMNS: readonly ColumnDef[] = [
  { name: 'topic', kind: 'string', nullable: false },
  { name: 'partition', kind: 'int32', nullable: false },
  { name: 'offset', kind: 'int64', nullable: false },
  { name: 'timestamp', kind: 'timestamp', nullable: false },
  { name: 'key', kind: 'string' },
];

/** Columns every landed record carries, before the value's own fields. */
export const RECORD_COLUMNS: readonly ColumnDef[] = [...LOG_COLUMNS, { name: 'headers', kind: 'string' }, { name: 'event_time', kind: 'timestamp', nullable: false }];

export const QUARANTINE_COLUMNS: readonly ColumnDef[] = [...LOG_COLUMNS, { name: 'reason', kind: 'string', nullable: false }, { name: 'value', kind: 'string' }];

/** Quarantined values keep this many characters: enough to see what was wrong, never a huge row. */
export const QUARANTINED_VALUE_CHARS = 4096;

/** How long the group may take to hand this run every partition before the run gives up (transient). */
const ASSIGNMENT_TIMEOUT_MS = 120_000;

/** The landed columns of an entity: the log's, then the value fields standardize declares for it (or the whole value). */
export function recordColumnsOf(config: PipelineConfig, source: KafkaSourceConfig, entity: KafkaEntityConfig): { valueColumns: readonly string[] | undefined; columns: ColumnDef[] } {
  const valueColumns = declaredColumnsOf(config, source.name, entity.name);
  return { valueColumns, columns: [...RECORD_COLUMNS, ...(valueColumns ? valueColumns.map((name) => ({ name, kind: 'string' as const })) : [{ name: 'value', kind: 'string' as const }])] };
}

/** Where records of an entity that cannot be landed go. */
export const quarantineDataset = (source: string, entity: string) => `raw/kafka/${source}/_quarantine/${entity}`;

/** A consumer group member other than this run holds some partitions: the batch cannot read them all. */
export class KafkaPartitionsNotAssignedError extends PipelineError {}

let timerWarningFiltered = false;

/**
 * kafkajs 2.2.4's request queue schedules its throttle check with a negative delay when it is not
 * throttled; Node 24 then prints a TimeoutNegativeWarning (and runs it after 1 ms, as kafkajs
 * expects) on stderr, which is not a log line. That one warning is dropped; every other goes to
 * Node's own printer as before.
 */
function filterKafkajsTimerWarning(): void {
  if (timerWarningFiltered) return;
  timerWarningFiltered = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') for (const p of printers) p(w);
  });
}

/** The kafkajs client of a source: brokers, SASL (password resolved from env or a mounted file) and TLS. */
export function kafkaClientOf(source: KafkaSourceConfig, configPath: string): Kafka {
  filterKafkajsTimerWarning();
  const host = source.brokers[0]!.replace(/:\d+$/, '');
  const ssl = driverTlsOptions(host, source.tls, configPath);
  const sasl = source.sasl ? ({ mechanism: source.sasl.mechanism, username: source.sasl.username, password: source.sasl.password } as SASLOptions) : undefined;
  return new Kafka({
    clientId: source.client_id,
    brokers: [...source.brokers],
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: source.timeout_ms,
    requestTimeout: source.timeout_ms,
    logLevel: logLevel.NOTHING,
  });
}

function previousDay(ds: string): string {
  return new Date(Date.parse(`${ds}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Where each topic partition starts, and where it ends when the range is fixed (a re-run). */
interface PartitionPlan {
  readonly topic: string;
  readonly partition: number;
  from: bigint;
  /** Fixed end (exclusive) of a re-run; else found while reading. */
  to?: bigint;
  readonly fixed: boolean;
  /** No earlier day to continue from: skip records stamped before the interval start. */
  seekingStart: boolean;
  /** High watermark seen at this run's first fetch of the partition: the end when no record reaches the interval end. */
  highWatermark?: bigint;
  next: bigint;
  done: boolean;
}

/**
 * Plans the offsets of ds for every partition of the entity's topics: a re-run reads exactly the
 * range its manifest recorded; otherwise it continues where ds-1's manifest ended, or (no ds-1)
 * from the first record stamped at or after the interval start. An offset range below the
 * partition's earliest retained offset fails the run with exit 4.
 */
async function planRanges(ctx: StepContext, admin: Admin, source: KafkaSourceConfig, entity: KafkaEntityConfig, dataset: string): Promise<{ plans: PartitionPlan[]; version: ManifestVersion; previous: Manifest | undefined }> {
  const read = await ctx.lake.readManifestVersioned(dataset, ctx.ds);
  // A partition holding only late events appended by later days has no ranges: its own records were never read.
  const rangesIn = (m: Manifest | undefined) => ((m?.meta.kafka as KafkaManifestMeta | undefined)?.ranges?.length ? (m!.meta.kafka as KafkaManifestMeta) : undefined);
  const own = rangesIn(read.manifest);
  const prev = rangesIn(await ctx.lake.readManifest(dataset, previousDay(ctx.ds)));
  const interval = dataIntervalOf(ctx);
  const plans: PartitionPlan[] = [];
  for (const topic of entity.topics) {
    const offsets = await admin.fetchTopicOffsets(topic).catch((e: unknown) => {
      throw new BadInputError(`sources.${source.name}: topic "${topic}" of entity ${entity.name} cannot be read: ${(e as Error).message}`, {
        context: { source: source.name, entity: entity.name, topic },
        fix: 'create the topic, or correct entities[].topics',
      });
    });
    const byTime = own ? [] : await admin.fetchTopicOffsetsByTimestamp(topic, Date.parse(interval.start));
    for (const o of offsets) {
      const key = tpKey(topic, o.partition);
      const recorded = own?.ranges.find((r) => tpKey(r.topic, r.partition) === key);
      const continued = prev?.ranges.find((r) => tpKey(r.topic, r.partition) === key);
      let plan: PartitionPlan;
      if (recorded) {
        plan = { topic, partition: o.partition, from: BigInt(recorded.from), to: BigInt(recorded.to), fixed: true, seekingStart: false, next: BigInt(recorded.from), done: false };
      } else {
        // offsetsForTimes gives the first offset stamped at or after the start, or -1 when none is;
        // a broker may answer an earlier offset (tansu answers the batch's), so records before the start are skipped as read.
        const t = byTime.find((b) => b.partition === o.partition)?.offset;
        const from = continued ? BigInt(continued.to) : t === undefined || BigInt(t) < 0n ? BigInt(o.high) : BigInt(t);
        plan = { topic, partition: o.partition, from, fixed: false, seekingStart: !continued, next: from, done: false };
      }
      if (plan.from < BigInt(o.low)) {
        throw new BadInputError(`${topic} partition ${o.partition}: offsets from ${plan.from} are no longer retained (the earliest is ${o.low}); ds ${ctx.ds} cannot be ${recorded ? 're-read' : 'read'} exactly`, {
          context: { source: source.name, entity: entity.name, topic, partition: o.partition },
          fix: recorded ? `keep the partition as landed (do not re-run ds ${ctx.ds}), or raise the topic's retention.ms for future days` : `the records between were deleted by retention before they were ingested; raise retention.ms and run the days in order`,
        });
      }
      if (plan.fixed && plan.to! <= plan.from) plan.done = true;
      plans.push(plan);
    }
  }
  return { plans, version: read.version, previous: read.manifest };
}

/** Lands every entity of a Kafka source for ds; see docs/sources.md "Kafka". */
export async function runKafkaIngest(ctx: StepContext, source: KafkaSourceConfig, configPath: string): Promise<StepResult> {
  const kafka = kafkaClientOf(source, configPath);
  const admin = kafka.admin();
  await admin.connect();
  const outputs: DatasetRef[] = [];
  const inputs: DatasetRef[] = [];
  let landed = 0;
  let quarantined = 0;
  const perEntity: Record<string, KafkaManifestMeta> = {};
  try {
    for (const entity of source.entities) {
      const { meta, rows, movedTo } = await ingestEntity(ctx, kafka, admin, source, entity, configPath);
      perEntity[entity.name] = meta;
      // Late events appended to their event days' partitions were landed too, there.
      landed += meta.landed + (meta.moved_late ?? 0);
      quarantined += meta.quarantined;
      const dataset = datasets.raw('kafka', source.name, entity.name);
      outputs.push({ uri: ctx.lake.partitionUri(dataset, ctx.ds), rows });
      for (const [ds, n] of Object.entries(movedTo)) if (n) outputs.push({ uri: ctx.lake.partitionUri(dataset, ds), rows: n });
      inputs.push(...entity.topics.map((t) => ({ uri: `kafka://${source.brokers[0]}/${t}`, rows: meta.ranges.filter((r) => r.topic === t).reduce((n, r) => n + Number(BigInt(r.to) - BigInt(r.from)), 0) })));
    }
  } finally {
    await admin.disconnect();
  }
  return { rowsIn: landed + quarantined, rowsOut: landed, rowsDropped: quarantined, inputs, outputs, metrics: { entities: outputs.length, kafka: perEntity } };
}

/** meta is what the manifest records; rows what the partition holds (late events of ds that later days appended included); movedTo the late events this run appended, by event ds. */
async function ingestEntity(ctx: StepContext, kafka: Kafka, admin: Admin, source: KafkaSourceConfig, entity: KafkaEntityConfig, configPath: string): Promise<{ meta: KafkaManifestMeta; rows: number; movedTo: Record<string, number> }> {
  const log = ctx.log.child({ entity: entity.name });
  const dataset = datasets.raw('kafka', source.name, entity.name);
  // The versions as planned: the commits replace the partitions only if no one (a follower) committed them since.
  const quarantineVersion = (await ctx.lake.readManifestVersioned(quarantineDataset(source.name, entity.name), ctx.ds)).version;
  const { plans, version, previous } = await planRanges(ctx, admin, source, entity, dataset);
  const { valueColumns, columns } = recordColumnsOf(ctx.config, source, entity);
  const decode = valueDecoderOf(entity, `${configPath}.entities.${source.entities.indexOf(entity)}`);
  const rows = new BatchBuilder(columns);
  const lateRecords = new LateEvents(columns, dataset);
  const moveLate = entity.late_events === 'event_day';
  const rejects = new BatchBuilder(QUARANTINE_COLUMNS);
  const open = (d: string, b: BatchBuilder) => ctx.lake.openPartition({ dataset: d, ds: ctx.ds, step: ctx.step, runId: ctx.runId, schema: b.schema });
  const writer = open(dataset, rows);
  const quarantine = open(quarantineDataset(source.name, entity.name), rejects);
  const batchRows = ctx.config.lake.row_group_size;
  const intervalEnd = Date.parse(dataIntervalOf(ctx).end);
  const intervalStart = Date.parse(dataIntervalOf(ctx).start);
  let read = 0;
  const late: Record<string, number> = {};
  const progress = startProgress(log, `ingest ${entity.name}`);
  const flush = async (force: boolean) => {
    if (rows.length && (force || rows.length >= batchRows)) await writer.write(rows.finish());
    if (rejects.length && (force || rejects.length >= batchRows)) await quarantine.write(rejects.finish());
  };
  const take = (plan: PartitionPlan, m: KafkaMessage) => {
    const r: ParsedRecord = parseKafkaRecord(m, entity, valueColumns, decode);
    read++;
    const base = [plan.topic, plan.partition, BigInt(m.offset), Number(m.timestamp), m.key ? m.key.toString('utf8') : null];
    if (r.ok) {
      const row = [...base, r.headers, r.eventTime, ...r.values];
      const eventDs = dayOf(r.eventTime);
      if (eventDs < ctx.ds) late[eventDs] = (late[eventDs] ?? 0) + 1;
      if (eventDs < ctx.ds && moveLate) lateRecords.add(eventDs, ctx.ds, plan.topic, plan.partition, BigInt(m.offset), row);
      else rows.appendRow(row);
    } else rejects.appendRow([...base, r.reason, quarantinedValue(m.value, entity.value_format, QUARANTINED_VALUE_CHARS)]);
  };
  const finishPlan = (plan: PartitionPlan, to: bigint) => {
    plan.to = to;
    plan.done = true;
  };
  let assignedAt: number | undefined;
  const consumer = kafka.consumer({ groupId: source.group, maxWaitTimeInMs: 500, allowAutoTopicCreation: false, sessionTimeout: source.session_timeout_ms, maxBytesPerPartition: 1_048_576, maxBytes: 4_194_304 });
  try {
    if (plans.some((p) => !p.done)) await consume(consumer, plans, entity.topics, async (plan, messages, highWatermark) => {
      plan.highWatermark ??= highWatermark;
      for (const m of messages) {
        if (plan.done) break;
        const offset = BigInt(m.offset);
        // A record fetched again (a retried fetch, a seek) is never landed twice: (topic, partition, offset) is the key.
        if (offset < plan.next) continue;
        const ts = Number(m.timestamp);
        if (plan.fixed) {
          if (offset >= plan.to!) {
            finishPlan(plan, plan.to!);
            break;
          }
        } else {
          if (plan.seekingStart && ts < intervalStart) {
            plan.from = offset + 1n;
            plan.next = offset + 1n;
            continue;
          }
          plan.seekingStart = false;
          // Kafka's offsetsForTimes(end): the first offset stamped at or after the interval end closes the day.
          if (ts >= intervalEnd) {
            finishPlan(plan, offset);
            break;
          }
        }
        take(plan, m);
        plan.next = offset + 1n;
        progress.add(1);
      }
      const end = plan.fixed ? plan.to! : plan.highWatermark;
      if (!plan.done && plan.next >= end) finishPlan(plan, plan.fixed ? plan.to! : plan.next);
      await flush(false);
    }, (plan) => {
      // No fetch returned records for this partition: it is at its end already.
      if (!plan.fixed && plan.next >= plan.from) finishPlan(plan, plan.next);
    }, admin, () => (assignedAt ??= Date.now()));
    const readMs = assignedAt === undefined ? 0 : Date.now() - assignedAt;
    await flush(true);
    const ranges: OffsetRange[] = plans.map((p) => ({ topic: p.topic, partition: p.partition, from: String(p.from), to: String(p.to ?? p.next) }));
    const lateIn = lateInOf(previous);
    const meta: KafkaManifestMeta = {
      group: source.group,
      ranges,
      read,
      landed: writer.rows,
      quarantined: quarantine.rows,
      late: Object.fromEntries(Object.entries(late).sort(([a], [b]) => (a < b ? -1 : 1))),
      moved_late: lateRecords.size,
      ...(lateIn ? { late_in: lateIn } : {}),
    };
    assertBalanced(meta, entity.name);
    await quarantine.commit({ source: source.name, kind: 'kafka', kafka: meta }, { ifVersion: quarantineVersion });
    // Late events go to their days before this day commits: a crash in between reads them again and finds them there.
    const movedTo = lateRecords.size ? await lateRecords.land(ctx.lake, { step: ctx.step, runId: ctx.runId }, { source: source.name, group: source.group }, log) : {};
    // The partition manifest is the commit; consumer offsets follow it, so a crash in between
    // leaves the lake ahead of the group, and the next run continues from the lake. Late events
    // later days appended to this ds stay (their files are kept, their late_in carried over).
    const manifest = await writer.commit({ source: source.name, kind: 'kafka', kafka: meta }, { ifVersion: version, keepFiles: lateFilesOf(previous) });
    progress.done();
    await commitGroupOffsets(consumer, admin, source.group, ranges);
    await consumer.disconnect();
    if (meta.quarantined) log.warn(`${meta.quarantined} records quarantined`, { quarantined: meta.quarantined });
    // readMs: from the group's assignment to the last record taken (the join before it is the broker's).
    log.info(`landed ${meta.landed} records`, { read, readMs, quarantined: meta.quarantined, ranges, ...(manifest.rows > meta.landed ? { lateEventsOfThisDay: manifest.rows - meta.landed } : {}) });
    return { meta, rows: manifest.rows, movedTo };
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    await quarantine.abort(e).catch(() => undefined);
    throw e;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Joins the group, checks this run holds every partition, seeks each to its start, and feeds
 * fetched records to onBatch until every plan is done. The consumer stays in the group, its
 * topics paused, so the run can commit the group's offsets as a member once the lake has
 * committed (leaving first would make the broker hold that commit until the group is empty).
 */
async function consume(
  consumer: Consumer,
  plans: PartitionPlan[],
  topics: readonly string[],
  onBatch: (plan: PartitionPlan, messages: KafkaMessage[], highWatermark: bigint) => Promise<void>,
  onIdle: (plan: PartitionPlan) => void,
  admin: Admin,
  onAssigned: () => void,
): Promise<void> {
  const byKey = new Map(plans.map((p) => [tpKey(p.topic, p.partition), p]));
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(idle);
      if (e) reject(e);
      else resolve();
    };
    const allDone = () => plans.every((p) => p.done);
    const timer = setTimeout(() => settle(new KafkaPartitionsNotAssignedError(`another member of the consumer group still held some partitions of ${topics.join(', ')} after ${ASSIGNMENT_TIMEOUT_MS / 1000} s`, { exitCode: ExitCode.failed, fix: 'stop other members of the consumer group (a follower) while the batch runs, or give the batch its own group' })), ASSIGNMENT_TIMEOUT_MS);
    let idle: NodeJS.Timeout | undefined;
    consumer.on(consumer.events.GROUP_JOIN, (ev) => {
      const assigned = ev.payload.memberAssignment;
      const missing = plans.filter((p) => !(assigned[p.topic] ?? []).includes(p.partition));
      // A member that died (a killed run) keeps its partitions until its session times out and
      // the group rebalances again; the assignment timer fails the run if that never happens.
      if (missing.length) return;
      onAssigned();
      clearTimeout(timer);
      clearInterval(idle);
      // After a rebalance too: every partition restarts from the first record not yet taken.
      for (const p of plans) consumer.seek({ topic: p.topic, partition: p.partition, offset: String(p.next) });
      // A partition with nothing past its start returns no records; its end is the broker's high watermark.
      idle = setInterval(() => {
        void (async () => {
          for (const t of topics) {
            for (const o of await admin.fetchTopicOffsets(t)) {
              const p = byKey.get(tpKey(t, o.partition));
              if (p && !p.done && p.highWatermark === undefined && BigInt(o.high) <= p.next) onIdle(p);
            }
          }
          if (allDone()) settle();
        })().catch(settle);
      }, 2_000);
    });
    consumer.on(consumer.events.CRASH, (ev) => settle(ev.payload.error));
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
          const plan = byKey.get(tpKey(batch.topic, batch.partition));
          if (!plan || settled) return;
          if (!plan.done) await onBatch(plan, batch.messages, BigInt(batch.highWatermark));
          const last = batch.messages[batch.messages.length - 1];
          if (last) resolveOffset(last.offset);
          await heartbeat();
          if (allDone()) settle();
        },
      })
      .catch(settle);
  });
  consumer.pause(topics.map((topic) => ({ topic })));
}

/**
 * Moves the group's offsets to the ends of the ranges, never backwards (a re-run of an old ds
 * leaves them): as the group's member still, else (a rebalance took the membership) through the
 * admin client once the consumer has left.
 */
async function commitGroupOffsets(consumer: Consumer, admin: Admin, group: string, ranges: readonly OffsetRange[]): Promise<void> {
  const topics = [...new Set(ranges.map((r) => r.topic))];
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  const current = new Map(committed.flatMap((t) => t.partitions.map((p) => [tpKey(t.topic, p.partition), BigInt(p.offset)] as const)));
  const ahead = ranges.filter((r) => BigInt(r.to) > (current.get(tpKey(r.topic, r.partition)) ?? -1n));
  if (!ahead.length) return;
  try {
    await consumer.commitOffsets(ahead.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.to })));
    return;
  } catch {
    await consumer.disconnect();
  }
  for (const topic of new Set(ahead.map((r) => r.topic))) {
    await admin.setOffsets({ groupId: group, topic, partitions: ahead.filter((r) => r.topic === topic).map((r) => ({ partition: r.partition, offset: r.to })) });
  }
}
