import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type SASLOptions } from 'kafkajs';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { driverTlsOptions, type KafkaEntityConfig, type KafkaSourceConfig, type PipelineConfig } from '@salesflow/config';
import { BadInputError, ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, type ManifestVersion, type PartitionWriter } from '@salesflow/lake';
import { startProgress } from '@salesflow/logging';
import { dataIntervalOf, type DatasetRef, type StepContext, type StepResult } from '@salesflow/step';
import { declaredColumnsOf } from '../declared-columns';
import { parseKafkaRecord, type ParsedRecord } from './parse-kafka-record';

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
   * Landed records whose event time falls in a ds before the one they landed in, by that event ds:
   * the days whose figures by event time changed after they were processed (npm run status lists them).
   */
  readonly late?: Readonly<Record<string, number>>;
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

/** The kafkajs client of a source: brokers, SASL (password resolved from env or a mounted file) and TLS. */
export function kafkaClientOf(source: KafkaSourceConfig, configPath: string): Kafka {
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
async function planRanges(ctx: StepContext, admin: Admin, source: KafkaSourceConfig, entity: KafkaEntityConfig, dataset: string): Promise<{ plans: PartitionPlan[]; version: ManifestVersion }> {
  const read = await ctx.lake.readManifestVersioned(dataset, ctx.ds);
  const own = read.manifest?.meta.kafka as KafkaManifestMeta | undefined;
  const prev = (await ctx.lake.readManifest(dataset, previousDay(ctx.ds)))?.meta.kafka as KafkaManifestMeta | undefined;
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
  return { plans, version: read.version };
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
      const meta = await ingestEntity(ctx, kafka, admin, source, entity);
      perEntity[entity.name] = meta;
      landed += meta.landed;
      quarantined += meta.quarantined;
      outputs.push({ uri: ctx.lake.partitionUri(datasets.raw('kafka', source.name, entity.name), ctx.ds), rows: meta.landed });
      inputs.push(...entity.topics.map((t) => ({ uri: `kafka://${source.brokers[0]}/${t}`, rows: meta.ranges.filter((r) => r.topic === t).reduce((n, r) => n + Number(BigInt(r.to) - BigInt(r.from)), 0) })));
    }
  } finally {
    await admin.disconnect();
  }
  return { rowsIn: landed + quarantined, rowsOut: landed, rowsDropped: quarantined, inputs, outputs, metrics: { entities: outputs.length, kafka: perEntity } };
}

async function ingestEntity(ctx: StepContext, kafka: Kafka, admin: Admin, source: KafkaSourceConfig, entity: KafkaEntityConfig): Promise<KafkaManifestMeta> {
  const log = ctx.log.child({ entity: entity.name });
  const dataset = datasets.raw('kafka', source.name, entity.name);
  // The versions as planned: the commits replace the partitions only if no one (a follower) committed them since.
  const quarantineVersion = (await ctx.lake.readManifestVersioned(quarantineDataset(source.name, entity.name), ctx.ds)).version;
  const { plans, version } = await planRanges(ctx, admin, source, entity, dataset);
  const { valueColumns, columns } = recordColumnsOf(ctx.config, source, entity);
  const rows = new BatchBuilder(columns);
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
    const r: ParsedRecord = parseKafkaRecord(m, entity, valueColumns);
    read++;
    const base = [plan.topic, plan.partition, BigInt(m.offset), Number(m.timestamp), m.key ? m.key.toString('utf8') : null];
    if (r.ok) {
      rows.appendRow([...base, r.headers, r.eventTime, ...r.values]);
      const eventDs = new Date(r.eventTime).toISOString().slice(0, 10);
      if (eventDs < ctx.ds) late[eventDs] = (late[eventDs] ?? 0) + 1;
    } else rejects.appendRow([...base, r.reason, m.value ? m.value.toString('utf8').slice(0, QUARANTINED_VALUE_CHARS) : null]);
  };
  const finishPlan = (plan: PartitionPlan, to: bigint) => {
    plan.to = to;
    plan.done = true;
  };
  const consumer = kafka.consumer({ groupId: source.group, maxWaitTimeInMs: 500, allowAutoTopicCreation: false, sessionTimeout: source.session_timeout_ms, maxBytesPerPartition: 4_194_304 });
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
    }, admin);
    await flush(true);
    const ranges: OffsetRange[] = plans.map((p) => ({ topic: p.topic, partition: p.partition, from: String(p.from), to: String(p.to ?? p.next) }));
    const meta: KafkaManifestMeta = { group: source.group, ranges, read, landed: writer.rows, quarantined: quarantine.rows, late: Object.fromEntries(Object.entries(late).sort(([a], [b]) => (a < b ? -1 : 1))) };
    if (meta.read !== meta.landed + meta.quarantined) throw new Error(`${entity.name}: read ${meta.read} records but landed ${meta.landed} and quarantined ${meta.quarantined}`);
    await quarantine.commit({ source: source.name, kind: 'kafka', kafka: meta }, { ifVersion: quarantineVersion });
    // The partition manifest is the commit; consumer offsets follow it, so a crash in between
    // leaves the lake ahead of the group, and the next run continues from the lake.
    const manifest = await writer.commit({ source: source.name, kind: 'kafka', kafka: meta }, { ifVersion: version });
    progress.done();
    await consumer.disconnect();
    await commitGroupOffsets(admin, source.group, ranges);
    if (meta.quarantined) log.warn(`${meta.quarantined} records quarantined`, { quarantined: meta.quarantined });
    log.info(`landed ${manifest.rows} records`, { read, quarantined: meta.quarantined, ranges });
    return meta;
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
 * fetched records to onBatch until every plan is done.
 */
async function consume(
  consumer: Consumer,
  plans: PartitionPlan[],
  topics: readonly string[],
  onBatch: (plan: PartitionPlan, messages: KafkaMessage[], highWatermark: bigint) => Promise<void>,
  onIdle: (plan: PartitionPlan) => void,
  admin: Admin,
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
  await consumer.stop();
}

/** Moves the group's offsets to the ends of the ranges, never backwards (a re-run of an old ds leaves them). */
async function commitGroupOffsets(admin: Admin, group: string, ranges: readonly OffsetRange[]): Promise<void> {
  const topics = [...new Set(ranges.map((r) => r.topic))];
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  const current = new Map(committed.flatMap((t) => t.partitions.map((p) => [tpKey(t.topic, p.partition), BigInt(p.offset)] as const)));
  const ahead = ranges.filter((r) => BigInt(r.to) > (current.get(tpKey(r.topic, r.partition)) ?? -1n));
  for (const topic of new Set(ahead.map((r) => r.topic))) {
    await admin.setOffsets({ groupId: group, topic, partitions: ahead.filter((r) => r.topic === topic).map((r) => ({ partition: r.partition, offset: r.to })) });
  }
}
