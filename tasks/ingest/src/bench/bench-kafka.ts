/**
 * `npm run bench:kafka`: two figures, each from the real entrypoint as a child process into a
 * local lake.
 * - batch: produces N JSON order events over 3 partitions to a new topic, runs the ingest step on
 *   it, and prints events/s (the whole run, group join included) and peak RSS;
 * - follow: starts `ingest --follow` (the source's default follow settings), produces events at
 *   BENCH_FOLLOW_RATE per second for BENCH_FOLLOW_SECONDS, and prints the end-to-end latency
 *   p50/p99/max from each event's send to the moment its offset is in a committed raw manifest
 *   (the lake polled every 50 ms).
 *
 *   KAFKA_BENCH_BROKERS=127.0.0.1:9092 npm run bench:kafka            # 500,000 events, then 30 s at 1,000/s
 *   BENCH_MODES=follow BENCH_FOLLOW_SECONDS=60 KAFKA_BENCH_BROKERS=127.0.0.1:9092 npm run bench:kafka
 * Not a timed test: the figures go to docs/benchmarks.md by hand.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { STEP_PROCESS_ENV } from '@salesflow/lake';

const ROOT = path.resolve(__dirname, '../../../..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BROKERS = (process.env.KAFKA_BENCH_BROKERS ?? process.env.KAFKA_TEST_BROKERS ?? '127.0.0.1:9092').split(',');
const DS = '2026-11-26';
const MODES = (process.env.BENCH_MODES ?? 'batch,follow').split(',');
const FOLLOW_SECONDS = Number(process.env.BENCH_FOLLOW_SECONDS ?? 30);
const FOLLOW_RATE = Number(process.env.BENCH_FOLLOW_RATE ?? 1_000);

function writeConfig(dir: string, source: Record<string, unknown>): string {
  const config = path.join(dir, 'pipeline.yaml');
  writeFileSync(config, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(/^sources:\n/m, `sources:\n  - ${JSON.stringify(source)}\n`));
  return config;
}

async function main(): Promise<void> {
  if (MODES.includes('batch')) await benchBatch();
  if (MODES.includes('follow')) await benchFollow();
}

async function benchBatch(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-kafka', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const topic = `bench-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const day = Date.parse(`${DS}T00:00:00Z`);
  const produceStart = Date.now();
  for (let i = 0; i < EVENTS; i += 10_000) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + 10_000); j++) {
      const ts = day + Math.floor((j / EVENTS) * 86_000_000);
      messages.push({ key: `order-${j}`, partition: j % 3, timestamp: String(ts), value: JSON.stringify({ order_id: j, customer_id: `C${j % 5000}`, amount: ((j % 997) / 10).toFixed(2), event_time: new Date(ts).toISOString() }) });
    }
    await producer.send({ topic, messages });
  }
  const produceMs = Date.now() - produceStart;
  await producer.disconnect();
  await admin.disconnect();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-kafka-'));
  const source = { name: 'bench', kind: 'kafka', brokers: BROKERS, group: `${topic}-g`, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time' }] };
  const config = writeConfig(dir, source);
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', config, '--ds', DS, '--source', 'bench'], {
    // As the step images run it (STEP_PROCESS_ENV).
    env: { ...STEP_PROCESS_ENV, ...process.env, LAKE_ROOT: path.join(dir, 'lake'), LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  if (r.status !== 0) throw new Error(`ingest exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows_out?: number; rowsOut?: number };
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  // The step's own log says how long reading took once the group had assigned it every partition.
  const readMs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { readMs?: number }).find((l) => l.readMs !== undefined)?.readMs;
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ mode: 'batch', events: EVENTS, produce_events_per_s: Math.round(EVENTS / (produceMs / 1000)), ingest_ms: ms, ingest_events_per_s: Math.round(EVENTS / (ms / 1000)), read_ms_after_join: readMs, events_per_s_after_join: readMs ? Math.round(EVENTS / (readMs / 1000)) : undefined, landed: summary.rows_out ?? summary.rowsOut, peak_rss_mb: Math.round(rssKb / 1024), note: 'ingest_ms is the whole run: starting Node, the consumer group join (half of session_timeout_ms, 5 s by default, on tansu 0.6.0), reading, the lake commit and the offset commit; read_ms_after_join is the reading alone' }));
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** End-to-end latency of follow mode: send -> offset in a committed raw manifest. */
async function benchFollow(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-kafka-follow', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const topic = `bench-follow-${randomBytes(4).toString('hex')}`;
  const partitions = 3;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-kafka-follow-'));
  const lakeRoot = path.join(dir, 'lake');
  const source = { name: 'bench', kind: 'kafka', brokers: BROKERS, group: `${topic}-g`, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time' }] };
  const follower = spawn(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--follow', '--config', writeConfig(dir, source), '--source', 'bench'], { env: { ...STEP_PROCESS_ENV, ...process.env, LAKE_ROOT: lakeRoot, LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  follower.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((resolve) => follower.on('exit', (code) => resolve(code)));
  const joinStart = Date.now();
  while (!/"msg":"assigned 3 partition/.test(logs)) {
    if (Date.now() - joinStart > 120_000) throw new Error(`the follower did not join within 120 s: ${logs.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const joinMs = Date.now() - joinStart;

  // Per partition: [first offset, count, sent at] of each send, to date every offset.
  const sends: Array<Array<[bigint, number, number]>> = Array.from({ length: partitions }, () => []);
  const latencies: number[] = [];
  const covered = Array.from({ length: partitions }, () => 0n);
  const lake = path.join(lakeRoot, 'raw/kafka/bench/order_events');
  const poll = () => {
    const now = Date.now();
    let days: string[] = [];
    try {
      days = readdirSync(lake).filter((d) => d.startsWith('dt='));
    } catch {
      return;
    }
    for (const d of days) {
      let ranges: Array<{ partition: number; to: string }> = [];
      try {
        ranges = (JSON.parse(readFileSync(path.join(lake, d, '_manifest.json'), 'utf8')) as { meta: { kafka: { ranges: typeof ranges } } }).meta.kafka.ranges;
      } catch {
        continue;
      }
      for (const r of ranges) {
        const to = BigInt(r.to);
        if (to <= covered[r.partition]!) continue;
        for (const [first, count, at] of sends[r.partition]!) {
          for (let o = first; o < first + BigInt(count); o++) if (o >= covered[r.partition]! && o < to) latencies.push(now - at);
        }
        covered[r.partition] = to;
      }
    }
  };
  const poller = setInterval(poll, 50);

  const producer = kafka.producer();
  await producer.connect();
  const total = FOLLOW_SECONDS * FOLLOW_RATE;
  const start = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * FOLLOW_RATE));
    if (due > sent) {
      const at = Date.now();
      const messages = Array.from({ length: due - sent }, (_, j) => {
        const i = sent + j;
        return { key: `order-${i}`, partition: i % partitions, timestamp: String(at), value: JSON.stringify({ order_id: i, customer_id: `C${i % 5000}`, amount: ((i % 997) / 10).toFixed(2), event_time: new Date(at).toISOString() }) };
      });
      const meta = await producer.send({ topic, messages });
      for (const m of meta) sends[m.partition]!.push([BigInt(m.baseOffset!), messages.filter((x) => x.partition === m.partition).length, at]);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const produceS = (Date.now() - start) / 1000;
  await producer.disconnect();
  const drainStart = Date.now();
  while (latencies.length < total && Date.now() - drainStart < 60_000) await new Promise((r) => setTimeout(r, 50));
  clearInterval(poller);
  follower.kill('SIGTERM');
  const code = await exited;
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...latencies].sort((a, b) => a - b);
  const commits = (logs.match(/committed a micro-batch/g) ?? []).length;
  console.log(JSON.stringify({ mode: 'follow', events: total, rate_per_s: Math.round(total / produceS), seconds: FOLLOW_SECONDS, committed: latencies.length, micro_batches: commits, join_ms: joinMs, latency_ms: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }, follower_exit: code, note: 'latency: send -> offset in a committed raw manifest (lake polled every 50 ms); follow settings are the defaults (max_interval_ms 5000, max_records 50000)' }));
  if (latencies.length !== total) throw new Error(`only ${latencies.length} of ${total} events were committed within 60 s of the last send`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
