/**
 * The sample-data order events publisher against a real broker: KAFKA_TEST_BROKERS (host:port;
 * .ci/run starts tansu and exports it). Runs the built CLI (`npm run build` first) as a child
 * process, then reads the topic back with its own consumer. Each test makes its own topic.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { computeSampleCounts, generateOrderEvents, generateProducts } from '../../tasks/sample-data/src';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const kafka = new Kafka({ clientId: 'sample-events-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
const uniq = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

function publish(args: string[]): Promise<{ code: number | null; summary: Record<string, any>; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'tasks/sample-data/dist/main.js'), '--kafka-brokers', BROKERS.join(','), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, summary: JSON.parse(out.trim().split('\n').pop() || '{}'), stderr: err }));
  });
}

/**
 * The first `total` records of the topic with their partitions, then 1 s more to catch any extra.
 * (tansu 0.6.0 answers ListOffsets for the end with the last batch's base offset + 1, so the
 * admin's offsets cannot say how many there are.)
 */
async function readTopic(topic: string, total: number): Promise<{ partition: number; message: KafkaMessage }[]> {
  const consumer = kafka.consumer({ groupId: uniq('reader'), sessionTimeout: 6_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { partition: number; message: KafkaMessage }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${got.length} of ${total} records of ${topic}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, message });
        if (got.length === total) {
          clearTimeout(timer);
          setTimeout(resolve, 1_000);
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

const products = [...generateProducts({ seed: 7, count: computeSampleCounts(0.1).products })];
const counts = computeSampleCounts(0.1);
const expected = (from: string, to: string) =>
  [...generateOrderEvents({ seed: 7, baseCount: counts.transactions, customerCount: counts.customers, products, locationCount: counts.locations, fromEpochMs: Date.parse(`${from}T00:00:00Z`), toEpochMs: Date.parse(`${to}T00:00:00Z`) })];

it('publishes two days of order events keyed by transaction id, stamped inside their day, every version of a sale in one partition in order', async () => {
  const topic = uniq('orders');
  const r = await publish(['--topic', topic, '--partitions', '4', '--ds', '2026-11-25', '--to', '2026-11-26', '--seed', '7', '--scale', '0.1', '--rate', '0', '--record-time', 'day']);
  expect(r.code).toBe(0);
  const want = expected('2026-11-25', '2026-11-26');
  expect(r.summary).toMatchObject({ status: 'ok', topic, partitions: 4, events: want.length, corrected: want.filter((e) => e.value.event_type === 'order_corrected').length, late: want.filter((e) => e.late).length });

  const got = await readTopic(topic, want.length);
  expect(got).toHaveLength(want.length);
  expect(new Set(got.map((g) => g.partition)).size).toBe(4);
  // Per key: one partition, versions in publish order, each record stamped with its event's publish time.
  const byKey = new Map<string, { partition: number; versions: number[]; stamps: number[] }>();
  for (const { partition, message } of got) {
    const value = JSON.parse(message.value!.toString('utf8'));
    const key = message.key!.toString('utf8');
    expect(key).toBe(value.transaction_id);
    expect(message.headers!.event_type!.toString()).toBe(value.event_type);
    const k = byKey.get(key) ?? { partition, versions: [], stamps: [] };
    expect(k.partition).toBe(partition);
    k.versions.push(value.version);
    k.stamps.push(Number(message.timestamp));
    byKey.set(key, k);
  }
  const wantByKey = new Map<string, { versions: number[]; stamps: number[] }>();
  for (const e of want) {
    const k = wantByKey.get(e.key) ?? { versions: [], stamps: [] };
    k.versions.push(e.value.version);
    k.stamps.push(e.publishMs);
    wantByKey.set(e.key, k);
  }
  expect(byKey.size).toBe(wantByKey.size);
  for (const [key, w] of wantByKey) expect({ key, versions: byKey.get(key)!.versions, stamps: byKey.get(key)!.stamps }).toEqual({ key, ...w });
  // Some sale of the first day is corrected on the second, in the same partition after it.
  expect([...byKey.values()].some((k) => k.versions.length === 2 && k.versions[1] === 2)).toBe(true);
  expect(got.map((g) => JSON.parse(g.message.value!.toString()).total_amount).sort()).toEqual(want.map((e) => e.value.total_amount).sort());
});

it('publishes at the rate asked, stamped with the time it sends', async () => {
  const topic = uniq('paced');
  const before = Date.now();
  const r = await publish(['--topic', topic, '--ds', '2026-11-26', '--scale', '0.1', '--rate', '400']);
  expect(r.code).toBe(0);
  // 1,016 events at 400/s: 2.5 s at least, and not much more.
  expect(r.summary.events).toBe(1_016);
  expect(r.summary.seconds).toBeGreaterThanOrEqual(2.5);
  expect(r.summary.seconds).toBeLessThan(6);
  const got = await readTopic(topic, 1_016);
  expect(got).toHaveLength(1_016);
  const stamps = got.map((g) => Number(g.message.timestamp));
  expect(Math.min(...stamps)).toBeGreaterThanOrEqual(before - 1_000);
  expect(Math.max(...stamps) - Math.min(...stamps)).toBeGreaterThanOrEqual(2_000);
});

it('refuses bad arguments with exit 2 naming each one', async () => {
  const r = await publish(['--topic', 'ok', '--ds', '2026-11-26', '--to', '2026-11-20', '--rate', '-5']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/rate: must be events per second, 0 or more .*, got -5; to: 2026-11-20 is before ds 2026-11-26/);
  const both = await publish(['--topic', 'ok', '--ds', '2026-11-26', '--out', '/tmp/x']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--out: not with --kafka-brokers/);
});
