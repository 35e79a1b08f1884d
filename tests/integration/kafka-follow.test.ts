/**
 * `ingest --follow` against a real broker (KAFKA_TEST_BROKERS, tansu from .ci/run) into a local
 * lake: the built step (`npm run build` first) runs as child processes, so SIGTERM and SIGKILL are
 * real. Each test makes its own topic, group and lake. Events are stamped over two days, so every
 * run crosses a ds boundary mid-stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Lake, LocalStorage, S3Storage, datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext } from '../../tasks/ingest/src/ingest-fixture.test-util';
import { faultSeed } from '../faults/kit/fault-summary';
import { seededRandom } from '../faults/kit/seeded-random';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const DS = '2026-11-26';
const DAY = Date.parse(`${DS}T00:00:00Z`);
const DATASET = datasets.raw('kafka', 'orders', 'order_events');
const kafka = new Kafka({ clientId: 'kafka-follow-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
const uniq = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kafkaSource(topic: string, group: string) {
  return { name: 'orders', kind: 'kafka', brokers: BROKERS, group, session_timeout_ms: 6_000, follow: { max_interval_ms: 1_000, max_records: 2_000 }, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time', max_message_bytes: 2048 }] };
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

/** Event i of `total`: stamped across DS and DS+1 in order, keyed order-i, on partition i % partitions; the last one's event time is in DS (a late event). */
function event(i: number, total: number, partitions: number): Message {
  const ts = DAY + Math.floor((i / total) * 2 * 86_400_000);
  const eventTime = i === total - 1 ? DAY + 43_200_000 : ts;
  return { key: `order-${i}`, partition: i % partitions, timestamp: String(ts), value: JSON.stringify({ order_id: i, amount: (i % 97) + 0.5, event_time: new Date(eventTime).toISOString() }) };
}

/** Sends events [from, to) in sends of `chunk` every `everyMs` (a stream, not one burst). */
async function produce(topic: string, from: number, to: number, total: number, partitions: number, chunk = 500, everyMs = 0, bad: Message[] = []): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = from; i < to; i += chunk) {
    const messages = Array.from({ length: Math.min(chunk, to - i) }, (_, j) => event(i + j, total, partitions));
    if (i === from && bad.length) messages.push(...bad);
    await producer.send({ topic, messages });
    if (everyMs) await sleep(everyMs);
  }
  await producer.disconnect();
}

const BAD: Message[] = [
  { key: 'bad-not-json', value: '{"order_id": 1,', partition: 0, timestamp: String(DAY + 1000) },
  { key: 'bad-no-time', value: JSON.stringify({ order_id: -1 }), partition: 1, timestamp: String(DAY + 1000) },
];

interface Follower {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; summary?: Record<string, unknown> }>;
  /** Its JSON log lines so far. */
  logs(): Record<string, unknown>[];
}

function writeConfig(dir: string, topic: string, group: string): string {
  const file = path.join(dir, `pipeline-${group}.yaml`);
  writeFileSync(file, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(/^sources:\n/m, `sources:\n  - ${JSON.stringify(kafkaSource(topic, group))}\n`));
  return file;
}

function startFollower(config: string, lakeRoot: string, env: NodeJS.ProcessEnv = {}): Follower {
  const child = spawn(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--follow', '--config', config, '--source', 'orders'], { env: { ...process.env, LAKE_ROOT: lakeRoot, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d) => (out += d));
  const logs = () => err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; summary?: Record<string, unknown> }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code) console.error(err.slice(-3000));
      const last = out.trim().split('\n').pop();
      resolve({ code, signal, summary: last ? (JSON.parse(last) as Record<string, unknown>) : undefined });
    }),
  );
  return { child, exited, logs };
}

const assignedCount = (f: Follower) => f.logs().filter((l) => String(l.msg).startsWith('assigned ')).map((l) => (l.partitions as string[]).length);
const commits = (f: Follower) => f.logs().filter((l) => String(l.msg).startsWith('committed a micro-batch')).length;

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/** Every row landed in every ds of the dataset, with the ds it is in. */
async function landed(lake: Lake): Promise<{ key: string; offset: string; ds: string; timestamp: number; eventTime: number }[]> {
  const out = [];
  for (const ds of await lake.listPartitions(DATASET)) {
    const { rows } = await readRaw(lake, DATASET, ds);
    out.push(...rows.map((r) => ({ key: String(r.key), offset: `${r.topic}/${r.partition}/${r.offset}`, ds, timestamp: Number(r.timestamp), eventTime: Number(r.event_time) })));
  }
  return out;
}

/** Records the lake's manifests account for (landed + quarantined), by their ranges. */
async function covered(lake: Lake): Promise<number> {
  let n = 0;
  for (const ds of await lake.listPartitions(DATASET)) {
    const ranges = ((await lake.readManifest(DATASET, ds))!.meta.kafka as { ranges: { from: string; to: string }[] }).ranges;
    n += ranges.reduce((a, r) => a + Number(r.to) - Number(r.from), 0);
  }
  return n;
}

/** Exactly once: every key of [0, count) once, no offset twice, each in the ds of its timestamp, or of its event time when that is earlier (a late event). */
async function expectExactlyOnce(lake: Lake, count: number): Promise<void> {
  const rows = await landed(lake);
  expect(rows.length).toBe(count);
  expect(new Set(rows.map((r) => r.key))).toEqual(new Set(Array.from({ length: count }, (_, i) => `order-${i}`)));
  expect(new Set(rows.map((r) => r.offset)).size).toBe(count);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  expect(rows.filter((r) => (day(r.eventTime) < day(r.timestamp) ? day(r.eventTime) : day(r.timestamp)) !== r.ds)).toEqual([]);
}

it('lands a stream exactly once over two days, stops on SIGTERM with everything committed, resumes from the lake, and agrees with a batch re-run of a day', async () => {
  const topic = uniq('follow');
  const group = uniq('g');
  const total = 20_000;
  await createTopic(topic, 3);
  await produce(topic, 0, 10_000, total, 3, 1_000, 0, BAD);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-follow-'));
  const lakeRoot = path.join(dir, 'lake');
  const lake = new Lake(new LocalStorage(lakeRoot));
  const config = writeConfig(dir, topic, group);

  const first = startFollower(config, lakeRoot);
  await waitFor('the first 10,000 events', async () => (await covered(lake)) === 10_000 + BAD.length);
  // More arrive as a stream; SIGTERM falls in the middle of it.
  const streaming = produce(topic, 10_000, 15_000, total, 3, 250, 100);
  await waitFor('some of the stream', async () => (await covered(lake)) > 11_000);
  first.child.kill('SIGTERM');
  const stopped = await first.exited;
  await streaming;
  expect(stopped).toMatchObject({ code: 0, summary: { status: 'success', mode: 'follow' } });

  // Everything taken was committed: the lake holds a gap-free prefix of every partition, and the group's offsets are its ends.
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, string>();
  for (const ds of await lake.listPartitions(DATASET)) {
    for (const r of ((await lake.readManifest(DATASET, ds))!.meta.kafka as { ranges: { partition: number; to: string }[] }).ranges) ends.set(r.partition, r.to);
  }
  const group1 = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
  expect(Object.fromEntries(group1.map((p) => [p.partition, p.offset]))).toEqual(Object.fromEntries(ends));
  const rows = await landed(lake);
  expect(rows.length + BAD.length).toBe(await covered(lake));
  expect(new Set(rows.map((r) => r.offset)).size).toBe(rows.length);
  // It left the group: no member is left holding partitions.
  expect((await admin.describeGroups([group])).groups[0]!.members).toEqual([]);
  await admin.disconnect();

  // The rest arrives while it is down; a new follower resumes from the lake's offsets.
  await produce(topic, 15_000, total, total, 3);
  const second = startFollower(config, lakeRoot);
  await waitFor('every event', async () => (await covered(lake)) === total + BAD.length);
  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
  await expectExactlyOnce(lake, total);
  expect(await lake.listPartitions(DATASET)).toEqual([DS, '2026-11-27']);
  const q = await readRaw(lake, `raw/kafka/orders/_quarantine/order_events`, DS);
  expect(q.rows.map((r) => r.key).sort()).toEqual(BAD.map((b) => b.key).sort());
  const meta = (await lake.readManifest(DATASET, DS))!.meta.kafka as { read: number; landed: number; quarantined: number; micro_batches: number };
  expect(meta.read).toBe(meta.landed + meta.quarantined);
  expect(meta.micro_batches).toBeGreaterThan(1);
  // The late event arrives (broker timestamp) in DS+1 and is landed in DS, its event day, which DS+1 counts.
  expect((await lake.readManifest(DATASET, '2026-11-27'))!.meta.kafka).toMatchObject({ late: { [DS]: 1 }, moved_late: 1 });
  expect((await lake.readManifest(DATASET, DS))!.meta.kafka).toMatchObject({ late_in: { rows: 1, from: { '2026-11-27': 1 } } });
  expect((await readRaw(lake, DATASET, DS)).rows.filter((r) => r.key === `order-${total - 1}`)).toHaveLength(1);

  // A batch re-run of DS reads the ranges follow mode recorded, and lands the same records; the late one DS+1 appended stays.
  const before = (await readRaw(lake, DATASET, DS)).rows.map((r) => String(r.key)).sort();
  const batch = await runIngest(stepContext(configWith([kafkaSource(topic, group)]), lake, 'orders', DS));
  expect(batch.rowsOut).toBe(before.length - 1);
  expect((await readRaw(lake, DATASET, DS)).rows.map((r) => String(r.key)).sort()).toEqual(before);
});

it('shares the partitions between two followers of one group, and loses and duplicates nothing through a rebalance and a SIGKILL', async () => {
  const topic = uniq('shared');
  const group = uniq('g');
  const total = 30_000;
  await createTopic(topic, 6);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-follow-'));
  const lakeRoot = path.join(dir, 'lake');
  const lake = new Lake(new LocalStorage(lakeRoot));
  const config = writeConfig(dir, topic, group);

  const a = startFollower(config, lakeRoot);
  await waitFor('the first follower to join', () => assignedCount(a).includes(6));
  // About 20 s of stream: the second follower joins inside it, then the first is killed inside it.
  const streaming = produce(topic, 0, total, total, 6, 300, 200);
  await sleep(4_000);
  const b = startFollower(config, lakeRoot);
  await waitFor('the group to share the partitions', () => assignedCount(b).some((n) => n > 0 && n < 6) && assignedCount(a).some((n) => n > 0 && n < 6));
  await waitFor('both to commit', () => commits(b) > 0 && commits(a) > 1);
  a.child.kill('SIGKILL');
  await a.exited;
  await waitFor('the survivor to take every partition', () => assignedCount(b).includes(6));
  await streaming;
  await waitFor('every event', async () => (await covered(lake)) === total);
  b.child.kill('SIGTERM');
  const done = await b.exited;
  expect(done).toMatchObject({ code: 0, summary: { status: 'success' } });
  console.log(`shared: first follower assignments ${assignedCount(a).join(',')}, ${commits(a)} commits; second ${assignedCount(b).join(',')}, ${commits(b)} commits, ${String(done.summary?.refused)} refused`);
  await expectExactlyOnce(lake, total);
});

it('loses and duplicates nothing when followers are killed with SIGKILL mid-stream and restarted', async () => {
  const topic = uniq('killed');
  const group = uniq('g');
  const total = 30_000;
  const kills = Number(process.env.KAFKA_FOLLOW_KILLS || 3);
  await createTopic(topic, 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-follow-'));
  const lakeRoot = path.join(dir, 'lake');
  const lake = new Lake(new LocalStorage(lakeRoot));
  const config = writeConfig(dir, topic, group);
  const random = seededRandom(faultSeed());
  // About 40 s of stream, the kills inside it.
  const streaming = produce(topic, 0, total, total, 3, 150, 200);
  for (let k = 1; k <= kills; k++) {
    const f = startFollower(config, lakeRoot);
    // Killed 1-4 s after it holds partitions: mid-batch, mid-commit or between commits (FAULTS_SEED replays the times).
    await waitFor(`follower ${k} to hold partitions`, () => assignedCount(f).some((n) => n > 0));
    const at = 1_000 + Math.floor(random() * 3_000);
    await sleep(at);
    f.child.kill('SIGKILL');
    await f.exited;
    console.log(`kill ${k}/${kills}: ${at} ms after its assignment, after ${commits(f)} commits; ${await covered(lake)} records committed`);
  }
  await streaming;
  const last = startFollower(config, lakeRoot);
  await waitFor('every event', async () => (await covered(lake)) === total);
  last.child.kill('SIGTERM');
  expect((await last.exited).code).toBe(0);
  await expectExactlyOnce(lake, total);
});

it('commits two followers into one S3 lake exactly once (conditional writes on the S3 test server)', async () => {
  const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('set LAKE_TEST_S3_ENDPOINT to the S3 test server (.ci/run starts moto_server)');
  const topic = uniq('s3');
  const group = uniq('g');
  const total = 9_000;
  await createTopic(topic, 4);
  const bucket = uniq('follow-lake');
  const storage = new S3Storage({ bucket, prefix: 'lake', endpoint, region: 'us-east-1', forcePathStyle: true });
  await storage.ensureRoot();
  const lake = new Lake(storage);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-follow-'));
  const config = writeConfig(dir, topic, group);
  const env = { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test', AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test', AWS_REGION: 'us-east-1' };
  const followers = [startFollower(config, `s3://${bucket}/lake`, env), startFollower(config, `s3://${bucket}/lake`, env)];
  await waitFor('both followers to hold partitions', () => followers.every((f) => assignedCount(f).at(-1) === 2));
  await produce(topic, 0, total, total, 4, 300, 100);
  await waitFor('every event', async () => (await covered(lake)) === total);
  for (const f of followers) f.child.kill('SIGTERM');
  for (const f of followers) expect((await f.exited).code).toBe(0);
  expect(followers.every((f) => commits(f) > 0)).toBe(true);
  await expectExactlyOnce(lake, total);
});
