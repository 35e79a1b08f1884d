import type { Admin, Kafka } from 'kafkajs';
import { BatchBuilder } from '@salesflow/batches';
import type { KafkaEntityConfig, KafkaSourceConfig } from '@salesflow/config';
import { BadInputError, PipelineError } from '@salesflow/errors';
import { datasets, type Lake } from '@salesflow/lake';
import { type DatasetRef, type StepContext, type StepResult } from '@salesflow/step';
import { closingOf, type PartitionClosing, type PartitionEvidence } from './close-rule';
import type { FollowManifestMeta } from './follow-commit';
import { kafkaClientOf, recordColumnsOf, tpKey, type KafkaManifestMeta, type OffsetRange } from './kafka-ingest';
import { assertBalanced } from './late-events';

/** A followed source's day is not closed yet: the follower lags or has not run (transient: Airflow retries). */
export class FollowedDayNotClosedError extends PipelineError {}

/** How long the probe of the broker may take to join its group and fetch, beyond the session timeout. */
const PROBE_TIMEOUT_MS = 30_000;
/** A probed partition that returned no record this long after the seek is at the end of its log. */
const PROBE_IDLE_MS = 3_000;

const DAY_MS = 86_400_000;
const shiftDay = (ds: string, days: number) => new Date(Date.parse(`${ds}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const rangesOf = (m: { meta: Record<string, unknown> } | undefined) => ((m?.meta.kafka as KafkaManifestMeta | undefined)?.ranges ?? []) as readonly OffsetRange[];

/**
 * `ingest --ds D` of a source with follow.enabled: consumes nothing (the follower holds the
 * partitions), checks that the follower has closed D for every topic partition, and reports D's
 * rows from the raw manifests; exits 1 (retried) with the lagging partitions when not.
 */
export async function runFollowedDayCheck(ctx: StepContext, source: KafkaSourceConfig, configPath: string): Promise<StepResult> {
  const kafka = kafkaClientOf(source, configPath);
  const admin = kafka.admin();
  await admin.connect();
  // The follower's days are UTC calendar days (the day of a record's timestamp), whatever data
  // interval the run was given (the DAG's runs from 02:00 to 02:00): ds ends at ds+1 00:00 UTC.
  const endIso = `${shiftDay(ctx.ds, 1)}T00:00:00.000Z`;
  const end = Date.parse(endIso);
  const open: { entity: string; tp: string; closing: Extract<PartitionClosing, { closed: false }> }[] = [];
  const closedBy: Record<string, string> = {};
  const outputs: DatasetRef[] = [];
  const perEntity: Record<string, KafkaManifestMeta> = {};
  const empty: KafkaEntityConfig[] = [];
  let read = 0;
  let landed = 0;
  let quarantined = 0;
  try {
    for (const entity of source.entities) {
      const dataset = datasets.raw('kafka', source.name, entity.name);
      const manifest = await ctx.lake.readManifest(dataset, ctx.ds);
      const evidence = await lakeEvidence(ctx, admin, source, entity, dataset, rangesOf(manifest));
      const needBroker = evidence.filter((e) => !closingOf(e, end, Date.now(), source.follow.close_grace_ms).closed);
      const answers = needBroker.length ? await probeBroker(kafka, admin, source, needBroker.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.position }))) : new Map();
      for (const e of evidence) {
        const c = closingOf({ ...e, broker: answers.get(tpKey(e.topic, e.partition)) ?? e.broker }, end, Date.now(), source.follow.close_grace_ms);
        if (c.closed) closedBy[tpKey(e.topic, e.partition)] = c.by;
        else open.push({ entity: entity.name, tp: tpKey(e.topic, e.partition), closing: c });
      }
      const meta = manifest?.meta.kafka as KafkaManifestMeta | undefined;
      if (!manifest) empty.push(entity);
      if (meta) assertBalanced(meta, `${dataset} dt=${ctx.ds}`);
      perEntity[entity.name] = meta ?? { group: source.group, ranges: [], read: 0, landed: 0, quarantined: 0 };
      read += meta?.read ?? 0;
      // Late events the follower moved to their event days were landed there.
      landed += (meta?.landed ?? 0) + (meta?.moved_late ?? 0);
      quarantined += meta?.quarantined ?? 0;
      outputs.push({ uri: ctx.lake.partitionUri(dataset, ctx.ds), rows: manifest?.rows ?? 0 });
    }
    if (open.length) {
      const members = ((await admin.describeGroups([source.group])).groups[0]?.members ?? []).length;
      const follower = members
        ? `${members} member(s) of group ${source.group} run`
        : `no follower runs: group ${source.group} has no members`;
      const lines = open.map((o) => `${o.tp} (${o.entity}): ${o.closing.reason}`);
      throw new FollowedDayNotClosedError(`the follower has not closed ds ${ctx.ds} (which ends at ${endIso}) of source ${source.name} for ${open.length} partition(s); ${follower}. ${lines.join('; ')}`, {
        context: { source: source.name, ds: ctx.ds },
        fix: members
          ? 'wait: the task is retried; a lag that grows means the follower is too slow (more replicas, up to one per partition)'
          : `start the follower (ingest --follow --source ${source.name}: the compose service ingest-follow or k8s/ingest-follow.yaml); the task is retried`,
      });
    }
    // A closed day without a record of an entity still gets its (empty) partition, which the next steps read.
    for (const entity of empty) await commitEmptyDay(ctx, source, entity);
  } finally {
    await admin.disconnect();
  }
  ctx.log.info(`ds ${ctx.ds} is closed by the follower: ${landed} records landed, ${quarantined} quarantined`, { closedBy });
  return { rowsIn: read, rowsOut: landed, rowsDropped: quarantined, inputs: [], outputs, metrics: { entities: outputs.length, mode: 'followed', kafka: perEntity, closed_by: closedBy } };
}

/** Commits an empty raw partition for ds, unless one appeared meanwhile (then it is kept as it is). */
async function commitEmptyDay(ctx: StepContext, source: KafkaSourceConfig, entity: KafkaEntityConfig): Promise<void> {
  const { columns } = recordColumnsOf(ctx.config, source, entity);
  const writer = ctx.lake.openPartition({ dataset: datasets.raw('kafka', source.name, entity.name), ds: ctx.ds, step: ctx.step, runId: ctx.runId, schema: new BatchBuilder(columns).schema });
  const meta: FollowManifestMeta = { group: source.group, ranges: [], read: 0, landed: 0, quarantined: 0, micro_batches: 0, late: {} };
  await writer.commitAppend((previous) => ({ meta: previous?.meta ?? { source: source.name, kind: 'kafka', mode: 'follow', kafka: meta } }));
  ctx.log.info(`${entity.name}: no record of ds ${ctx.ds}; committed its partition empty`, { entity: entity.name });
}

/**
 * Each topic partition's position at the end of ds (its range's end in ds, else in the latest
 * earlier day within the raw retention) and the first later day that records it (probed from
 * ds+1 through tomorrow): one manifest read a day, stopping once every partition is placed.
 */
async function lakeEvidence(ctx: StepContext, admin: Admin, source: KafkaSourceConfig, entity: KafkaEntityConfig, dataset: string, own: readonly OffsetRange[]): Promise<PartitionEvidence[]> {
  const tps: { topic: string; partition: number; low: bigint }[] = [];
  for (const topic of entity.topics) {
    const offsets = await admin.fetchTopicOffsets(topic).catch((e: unknown) => {
      throw new BadInputError(`sources.${source.name}: topic "${topic}" of entity ${entity.name} cannot be read: ${(e as Error).message}`, { context: { source: source.name, entity: entity.name, topic }, fix: 'create the topic, or correct entities[].topics' });
    });
    for (const o of offsets) tps.push({ topic, partition: o.partition, low: BigInt(o.low) });
  }
  const position = new Map<string, bigint>(own.map((r) => [tpKey(r.topic, r.partition), BigInt(r.to)]));
  await probeDays(ctx.lake, dataset, tps.length, position, (d) => shiftDay(ctx.ds, -d), ctx.config.lake.retention_days.raw, (r) => BigInt(r.to));
  const later = new Map<string, { ds: string; from: bigint }>();
  const tomorrow = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
  const days = Math.max(0, Math.round((Date.parse(`${tomorrow}T00:00:00Z`) - Date.parse(`${ctx.ds}T00:00:00Z`)) / DAY_MS));
  await probeDays(ctx.lake, dataset, tps.length, later, (d) => shiftDay(ctx.ds, d), days, (r, ds) => ({ ds, from: BigInt(r.from) }));
  return tps.map((t) => {
    const k = tpKey(t.topic, t.partition);
    const p = position.get(k);
    return { topic: t.topic, partition: t.partition, position: p ?? t.low, placed: p !== undefined, ...(later.has(k) ? { later: later.get(k)! } : {}) };
  });
}

/** Reads the manifests of days day(1) .. day(count) in turn, putting each partition's first range found into `found`. */
async function probeDays<T>(lake: Lake, dataset: string, wanted: number, found: Map<string, T>, day: (d: number) => string, count: number, value: (r: OffsetRange, ds: string) => T): Promise<void> {
  for (let d = 1; d <= count && found.size < wanted; d++) {
    const ds = day(d);
    for (const r of rangesOf(await lake.readManifest(dataset, ds))) {
      const k = tpKey(r.topic, r.partition);
      if (!found.has(k)) found.set(k, value(r, ds));
    }
  }
}

/**
 * The broker's first record at or after each given offset, and the partition's high watermark,
 * read by a consumer of its own group (`<group>.close-check`, never committing), since the
 * follower's group holds the partitions. A partition that returns nothing PROBE_IDLE_MS after the
 * seek and whose listed end is at or below the offset is at the end of its log (tansu lists the
 * end low, so an empty fetch is the proof; Kafka lists it exactly).
 */
async function probeBroker(kafka: Kafka, admin: Admin, source: KafkaSourceConfig, at: readonly { topic: string; partition: number; offset: bigint }[]): Promise<Map<string, { timestamp?: number; highWatermark: bigint }>> {
  const wanted = new Map(at.map((a) => [tpKey(a.topic, a.partition), a]));
  const answers = new Map<string, { timestamp?: number; highWatermark: bigint }>();
  const topics = [...new Set(at.map((a) => a.topic))];
  const consumer = kafka.consumer({ groupId: `${source.group}.close-check`, sessionTimeout: source.session_timeout_ms, maxWaitTimeInMs: 500, allowAutoTopicCreation: false, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => finish(), PROBE_TIMEOUT_MS + source.session_timeout_ms);
      const finish = (e?: unknown) => {
        clearTimeout(timer);
        clearInterval(idle);
        if (e) reject(e);
        else resolve();
      };
      consumer.on(consumer.events.CRASH, (ev) => finish(ev.payload.error));
      consumer.on(consumer.events.GROUP_JOIN, (ev) => {
        const assigned = ev.payload.memberAssignment;
        const others: { topic: string; partitions: number[] }[] = [];
        for (const [topic, partitions] of Object.entries(assigned)) {
          const rest = partitions.filter((p) => !wanted.has(tpKey(topic, p)));
          if (rest.length) others.push({ topic, partitions: rest });
          for (const p of partitions) {
            const w = wanted.get(tpKey(topic, p));
            if (w) consumer.seek({ topic, partition: p, offset: String(w.offset) });
          }
        }
        if (others.length) consumer.pause(others);
        const seekedAt = Date.now();
        clearInterval(idle);
        idle = setInterval(() => {
          void (async () => {
            if (Date.now() - seekedAt >= PROBE_IDLE_MS) {
              for (const topic of topics) {
                for (const o of await admin.fetchTopicOffsets(topic)) {
                  const k = tpKey(topic, o.partition);
                  const w = wanted.get(k);
                  if (w && !answers.has(k) && BigInt(o.high) <= w.offset) answers.set(k, { highWatermark: w.offset });
                }
              }
            }
            if (answers.size === wanted.size) finish();
          })().catch(finish);
        }, 500);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const k = tpKey(batch.topic, batch.partition);
            const w = wanted.get(k);
            const m = w && batch.messages.find((x) => BigInt(x.offset) >= w.offset);
            if (m && !answers.has(k)) answers.set(k, { timestamp: Number(m.timestamp), highWatermark: BigInt(batch.highWatermark) });
            if (answers.size === wanted.size) finish();
          },
        })
        .catch(finish);
    });
    await consumer.stop();
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return answers;
}
