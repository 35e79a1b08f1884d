/**
 * `npm run bench:kafka`: produces N JSON order events over 3 partitions to a new topic, then runs
 * the ingest step on it (the real entrypoint, a child process, into a local lake) and prints
 * events/s of the batch mode (the whole run, group join included) and peak RSS.
 *
 *   KAFKA_BENCH_BROKERS=127.0.0.1:9092 npm run bench:kafka            # 500,000 events
 *   BENCH_EVENTS=2000000 KAFKA_BENCH_BROKERS=127.0.0.1:9092 npm run bench:kafka
 * Not a timed test: the figures go to docs/benchmarks.md by hand.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(__dirname, '../../../..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BROKERS = (process.env.KAFKA_BENCH_BROKERS ?? process.env.KAFKA_TEST_BROKERS ?? '127.0.0.1:9092').split(',');
const DS = '2026-11-26';

async function main(): Promise<void> {
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
  const config = path.join(dir, 'pipeline.yaml');
  writeFileSync(config, readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(/^sources:\n/m, `sources:\n  - ${JSON.stringify(source)}\n`));
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', config, '--ds', DS, '--source', 'bench'], {
    env: { ...process.env, LAKE_ROOT: path.join(dir, 'lake'), LOG_LEVEL: 'info' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  if (r.status !== 0) throw new Error(`ingest exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows_out?: number; rowsOut?: number };
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ events: EVENTS, produce_events_per_s: Math.round(EVENTS / (produceMs / 1000)), ingest_ms: ms, ingest_events_per_s: Math.round(EVENTS / (ms / 1000)), landed: summary.rows_out ?? summary.rowsOut, peak_rss_mb: Math.round(rssKb / 1024), note: 'ingest_ms includes starting Node and the consumer group join (half of session_timeout_ms, 5 s by default, on tansu 0.6.0)' }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
