/**
 * The nightly ingest of a followed source (`follow.enabled`) against a real broker
 * (KAFKA_TEST_BROKERS, tansu from .ci/run) into a local lake: the built step (`npm run build`
 * first) runs as child processes, the follower (`ingest --follow`) and the daily `ingest --ds D`
 * alike. The daily run consumes nothing: it exits 1 naming the lagging partitions until the
 * follower has closed D, then 0 with D's rows.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'tasks/ingest/dist/main.js');
const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const DS = '2026-11-26';
const DS2 = '2026-11-27';
const DAY = Date.parse(`${DS}T00:00:00Z`);
const DATASET = datasets.raw('kafka', 'orders', 'order_events');
const PARTITIONS = 3;
const kafka = new Kafka({ clientId: 'kafka-follow-close-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event i of a day's n: stamped in order over that day (day 0 is DS), on partition i % PARTITIONS. */
function event(day: number, i: number, n: number): Message {
  const ts = DAY + day * 86_400_000 + Math.floor((i / n) * 86_400_000);
  return { key: `d${day}-${i}`, partition: i % PARTITIONS, timestamp: String(ts), value: JSON.stringify({ order_id: i, event_time: new Date(ts).toISOString() }) };
}

async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, messages: messages.slice(i, i + 500) });
  await producer.disconnect();
}

const day = (d: number, from: number, to: number, n: number) => Array.from({ length: to - from }, (_, j) => event(d, from + j, n));

/**
 * The daily task as Airflow runs it: `ingest --source orders --ds D` with the DAG's data interval
 * (02:00 to 02:00, while the follower's days are UTC calendar days); its exit code and summary line.
 */
function daily(config: string, lakeRoot: string, ds: string): { code: number | null; summary: Record<string, unknown>; stderr: string } {
  const next = new Date(Date.parse(`${ds}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const interval = ['--data-interval-start', `${ds}T02:00:00Z`, '--data-interval-end', `${next}T02:00:00Z`];
  const r = spawnSync(process.execPath, [MAIN, '--config', config, '--source', 'orders', '--ds', ds, ...interval], { env: { ...process.env, LAKE_ROOT: lakeRoot, LOG_FORMAT: 'json' }, encoding: 'utf8', timeout: 120_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { code: r.status, summary: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
}

function startFollower(config: string, lakeRoot: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, '--follow', '--config', config, '--source', 'orders'], { env: { ...process.env, LAKE_ROOT: lakeRoot, LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => (code ? (console.error(err.slice(-3000)), resolve(code)) : resolve(code)))) };
}

/** Records the lake's manifests account for (landed + quarantined), by their ranges. */
async function covered(lake: Lake): Promise<number> {
  let n = 0;
  for (const ds of await lake.listPartitions(DATASET)) {
    n += ((await lake.readManifest(DATASET, ds))!.meta.kafka as { ranges: { from: string; to: string }[] }).ranges.reduce((a, r) => a + Number(r.to) - Number(r.from), 0);
  }
  return n;
}

/** How the daily run of ds found each partition closed (its run report's metrics.closed_by), by partition. */
function closedBy(lakeRoot: string, ds: string): string[] {
  const report = JSON.parse(readFileSync(path.join(lakeRoot, `_runs/dt=${ds}/ingest-orders.json`), 'utf8')) as { metrics: { closed_by: Record<string, string> } };
  return Object.entries(report.metrics.closed_by).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, by]) => by);
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

it('reports a followed day as not closed (exit 1, the lagging partitions) until the follower passed its end, then its rows (exit 0)', async () => {
  const topic = `close-${randomBytes(4).toString('hex')}`;
  const group = `g-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-follow-close-'));
  const lakeRoot = path.join(dir, 'lake');
  const lake = new Lake(new LocalStorage(lakeRoot));
  const source = { name: 'orders', kind: 'kafka', brokers: BROKERS, group, session_timeout_ms: 6_000, follow: { enabled: true, max_interval_ms: 500, max_records: 2_000 }, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time' }] };
  const config = path.join(dir, 'pipeline.yaml');
  writeFileSync(config, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(/^sources:\n/m, `sources:\n  - ${JSON.stringify(source)}\n`));
  const n = 3_000;
  const bad: Message[] = [{ key: 'bad', value: 'not json', partition: 1, timestamp: String(DAY + 1_000) }];
  await produce(topic, [...day(0, 0, n / 2, n), ...bad]);

  // No follower has run: nothing of DS is in the lake, and the group has no member.
  const before = daily(config, lakeRoot, DS);
  expect(before.code).toBe(1);
  expect(before.summary).toMatchObject({ status: 'failed', exit_code: 1 });
  expect(before.summary.error).toMatch(/has not closed ds 2026-11-26 \(which ends at 2026-11-27T00:00:00.000Z\) of source orders for 3 partition\(s\); no follower runs: group g-\w+ has no members/);
  expect(before.summary.error).toMatch(new RegExp(`${topic}/0 \\(order_events\\): 500 records not landed yet: the lake ends at offset 0 \\(the earliest retained`));
  expect(before.summary.error).toMatch(/start the follower/);
  // It consumed nothing and committed nothing.
  expect(await lake.listPartitions(DATASET)).toEqual([]);

  // The follower lands the first half of DS, then stops; the second half arrives while it is down.
  let follower = startFollower(config, lakeRoot);
  await waitFor('the first half of DS', async () => (await covered(lake)) === n / 2 + bad.length);
  follower.child.kill('SIGTERM');
  expect(await follower.exited).toBe(0);
  await produce(topic, day(0, n / 2, n, n));
  const lagging = daily(config, lakeRoot, DS);
  expect(lagging.code).toBe(1);
  for (let p = 0; p < PARTITIONS; p++) {
    expect(lagging.summary.error).toMatch(new RegExp(`${topic}/${p} \\(order_events\\): 500 records not landed yet: the lake ends at offset ${500 + (p === 1 ? 1 : 0)}, the log at ${1000 + (p === 1 ? 1 : 0)}; the first record not landed is stamped 2026-11-26T1[12]:\\d\\d:\\d\\d`));
  }

  // The follower lands the rest of DS and stops before DS+1 arrives: DS is closed, as the broker's next record of every partition is stamped DS+1.
  follower = startFollower(config, lakeRoot);
  await waitFor('the rest of DS', async () => (await covered(lake)) === n + bad.length);
  follower.child.kill('SIGTERM');
  expect(await follower.exited).toBe(0);
  await produce(topic, day(1, 0, n, n));
  const closedByBroker = daily(config, lakeRoot, DS);
  expect(closedByBroker.code).toBe(0);
  expect(closedByBroker.summary).toMatchObject({ status: 'success', rows_in: n + bad.length, rows_out: n, rows_dropped: bad.length });
  expect(closedBy(lakeRoot, DS)).toEqual(['record-after-end', 'record-after-end', 'record-after-end']);
  const meta = (await lake.readManifest(DATASET, DS))!.meta as { mode?: string; kafka: { landed: number; micro_batches: number } };
  expect(meta.kafka.landed).toBe(n);
  // DS's manifest is still the follower's: the daily run wrote none.
  expect(meta.mode).toBe('follow');
  expect(meta.kafka.micro_batches).toBeGreaterThan(1);

  // The follower streams DS+1: the next day's ranges now show DS closed, without asking the broker.
  follower = startFollower(config, lakeRoot);
  await waitFor('both days', async () => (await covered(lake)) === 2 * n + bad.length);
  const closed = daily(config, lakeRoot, DS);
  expect(closed.code).toBe(0);
  expect(closed.summary).toMatchObject({ status: 'success', rows_in: n + bad.length, rows_out: n, rows_dropped: bad.length });
  expect(closedBy(lakeRoot, DS)).toEqual(['next-day', 'next-day', 'next-day']);

  // DS+1 has no next day yet: the broker shows the follower read each partition to its end, and DS+1's end is long past.
  const last = daily(config, lakeRoot, DS2);
  expect(last.code).toBe(0);
  expect(last.summary).toMatchObject({ status: 'success', rows_in: n, rows_out: n, rows_dropped: 0 });
  expect(closedBy(lakeRoot, DS2)).toEqual(['caught-up', 'caught-up', 'caught-up']);

  // The day before DS has no record at all: closed (the follower's first ranges are in DS), and committed empty for the next steps.
  const quiet = daily(config, lakeRoot, '2026-11-25');
  expect(quiet.code).toBe(0);
  expect(quiet.summary).toMatchObject({ status: 'success', rows_in: 0, rows_out: 0 });
  expect(await lake.readManifest(DATASET, '2026-11-25')).toMatchObject({ rows: 0, meta: { mode: 'follow', kafka: { ranges: [], landed: 0 } } });
  follower.child.kill('SIGTERM');
  expect(await follower.exited).toBe(0);
});
