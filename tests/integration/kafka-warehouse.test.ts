/**
 * Sales from Kafka through to the warehouse: the sample-data publisher puts three days of order
 * events (sales, late sales, corrections of earlier days, the duplicate line) on a topic of the
 * broker KAFKA_TEST_BROKERS (.ci/run starts tansu), each record stamped inside its day; the
 * customers, products and locations of each day land as files. Then tasks/run-pipeline runs every
 * step of each day with config/kafka_example.yaml on a temp local lake and SQLite warehouse.
 *
 * Late sales land in their event days, which `npm run status` then marks; the test re-runs those days.
 * fact_sales must then hold what was published: every valid transaction id once, at its latest
 * version (quantity, discount, amounts), the revenue to the cent, and each day's quality checks pass.
 * Needs `npm run build` first; scale 0.1 (about 1,000 sales a day).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import knex, { type Knex } from 'knex';
import { computeTransactionAmounts, computeSampleCounts, generateOrderEvents, generateProducts, type OrderEvent } from '../../tasks/sample-data/src';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const DAYS = ['2026-11-24', '2026-11-25', '2026-11-26'];
const SCALE = 0.1;
const SEED = 42;
const work = mkdtempSync(path.join(os.tmpdir(), 'kafka-warehouse-'));
const suffix = randomBytes(4).toString('hex');
const env = {
  ...process.env,
  LAKE_ROOT: path.join(work, 'lake'),
  LANDING_PATH: path.join(work, 'landing'),
  WAREHOUSE_SQLITE: path.join(work, 'warehouse.sqlite'),
  KAFKA_BROKERS: (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',')[0]!,
  KAFKA_TOPIC: `sales-orders-${suffix}`,
  KAFKA_GROUP: `salesflow-orders-${suffix}`,
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'warn',
};

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, stderr: r.stderr, summary: last ? (JSON.parse(last) as Record<string, any>) : {} };
}

const json = (file: string) => JSON.parse(readFileSync(path.join(env.LAKE_ROOT, file), 'utf8'));

const cents = (money: string | number) => Math.round(Number(money) * 100);

/** The published events, as the publisher makes them. */
const counts = computeSampleCounts(SCALE);
const events: OrderEvent[] = [
  ...generateOrderEvents({
    seed: SEED,
    baseCount: counts.transactions,
    customerCount: counts.customers,
    products: [...generateProducts({ seed: SEED, count: counts.products })],
    locationCount: counts.locations,
    fromEpochMs: Date.parse(`${DAYS[0]}T00:00:00Z`),
    toEpochMs: Date.parse(`${DAYS.at(-1)}T00:00:00Z`),
  }),
];

/**
 * Published by hand after the sample's events, both stamped at the end of the last day: a correction
 * of one of its sales (version 2), then a stale retry of the original (version 1), as a slow
 * producer would deliver it. The day's standardize must keep version 2 (order_by: version), not the
 * last record.
 */
const STALE_RETRIED = events.find((e) => e.ds === DAYS.at(-1) && e.value.transaction_id.endsWith('-00000002'))!;
const RETRY_CORRECTION: OrderEvent['value'] = (() => {
  const v = STALE_RETRIED.value;
  const quantity = (v.quantity as number) === 10 ? 9 : (v.quantity as number) + 1;
  const amounts = computeTransactionAmounts(quantity, cents(v.unit_price), Math.round(Number(v.discount) * 100));
  const at = `${DAYS.at(-1)}T23:59:59Z`;
  return { ...v, event_type: 'order_corrected', version: 2, event_time: at, quantity, tax_amount: (amounts.taxCents / 100).toFixed(2), total_amount: (amounts.totalCents / 100).toFixed(2) };
})();
const HAND_PUBLISHED = [RETRY_CORRECTION, STALE_RETRIED.value];

async function publishByHand(): Promise<void> {
  const producer = new Kafka({ clientId: 'kafka-warehouse-test', brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const timestamp = String(Date.parse(`${DAYS.at(-1)}T23:59:59Z`));
  await producer.send({ topic: env.KAFKA_TOPIC, acks: -1, messages: HAND_PUBLISHED.map((v) => ({ key: v.transaction_id, value: JSON.stringify(v), timestamp })) });
  await producer.disconnect();
}

/** What fact_sales must hold: per id its highest version (of equal ones the last published), where standardize keeps it (a whole quantity, a readable time). */
function expectedFacts(): Map<string, OrderEvent['value']> {
  const latest = new Map<string, OrderEvent['value']>();
  // Late sales whose event day is before the first day run are in that day's raw partition, not processed.
  const processed = events.filter((e) => landingDs(e) >= DAYS[0]!);
  for (const v of [...processed.map((e) => e.value), ...HAND_PUBLISHED]) if (!latest.has(v.transaction_id) || latest.get(v.transaction_id)!.version <= v.version) latest.set(v.transaction_id, v);
  for (const [id, v] of latest) if (typeof v.quantity !== 'number' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v.transaction_timestamp)) latest.delete(id);
  return latest;
}

let db: Knex;
const runs: Record<string, any>[] = [];
/** `npm run status --json` after the first pass over the days, and after re-running the days it marked. */
const status: { first?: Record<string, any>; after?: Record<string, any> } = {};
const rerun: string[] = [];

/** The ds an event's raw row is in: the day it arrived (published) in, or its event time's day when that is earlier (late_events: event_day). */
const landingDs = (e: OrderEvent) => (e.value.event_time.slice(0, 10) < e.ds ? e.value.event_time.slice(0, 10) : e.ds);
const lakeStatus = () => JSON.parse(spawnSync(process.execPath, ['tasks/check-quality/dist/status-main.js', '--config', 'config/kafka_example.yaml', '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--json'], { cwd: ROOT, env, encoding: 'utf8' }).stdout) as Record<string, any>;

beforeAll(async () => {
  for (const ds of DAYS) {
    const gen = node(['tasks/sample-data/dist/main.js', '--out', path.join(env.LANDING_PATH, `dt=${ds}`), '--ds', ds, '--seed', String(SEED), '--scale', String(SCALE), '--daily']);
    if (gen.status !== 0) throw new Error(`sample-data failed: ${gen.stderr}`);
  }
  const pub = node(['tasks/sample-data/dist/main.js', '--kafka-brokers', env.KAFKA_BROKERS, '--topic', env.KAFKA_TOPIC, '--ds', DAYS[0]!, '--to', DAYS.at(-1)!, '--seed', String(SEED), '--scale', String(SCALE), '--rate', '0', '--record-time', 'day']);
  if (pub.status !== 0) throw new Error(`publishing failed: ${pub.stderr}`);
  expect(pub.summary.events).toBe(events.length);
  await publishByHand();
  for (const ds of DAYS) {
    const r = node(['tasks/run-pipeline/dist/main.js', '--config', 'config/kafka_example.yaml', '--ds', ds, '--run-id', `kafka_e2e__${ds}`]);
    if (r.status !== 0) throw new Error(`pipeline of ${ds} failed with exit ${r.status}:\n${r.stderr.slice(-4000)}`);
    runs.push(r.summary);
  }
  // Late sales went to their event days' raw partitions: those days need re-processing, as status says.
  status.first = lakeStatus();
  for (const day of status.first.days) {
    if (!day.rerunFrom) continue;
    rerun.push(day.ds);
    const r = node(['tasks/run-pipeline/dist/main.js', '--config', 'config/kafka_example.yaml', '--ds', day.ds, '--run-id', `kafka_e2e_rerun__${day.ds}`]);
    if (r.status !== 0) throw new Error(`the re-run of ${day.ds} failed with exit ${r.status}:\n${r.stderr.slice(-4000)}`);
  }
  status.after = lakeStatus();
  db = knex({ client: 'better-sqlite3', connection: { filename: env.WAREHOUSE_SQLITE }, useNullAsDefault: true });
});

afterAll(async () => {
  await db?.destroy();
  rmSync(work, { recursive: true, force: true });
});

it('lands in each day the events stamped in it (a late one in its earlier event day), and every step of every day succeeds with its quality checks passed', () => {
  for (const [i, ds] of DAYS.entries()) {
    expect(runs[i]!.steps.map((s: any) => `${s.task}${s.args.length ? ' ' + s.args.join(' ') : ''}:${s.exit_code}`)).toEqual([
      'setup:0',
      'ingest --source landing:0',
      'ingest --source orders_stream:0',
      'standardize:0',
      'mask:0',
      'build-star-schema:0',
      'check-quality:0',
      'load-warehouse:0',
    ]);
    const raw = json(`raw/kafka/orders_stream/sales_transactions/dt=${ds}/_manifest.json`);
    const byHand = ds === DAYS.at(-1) ? HAND_PUBLISHED.length : 0;
    expect(raw.rows).toBe(events.filter((e) => landingDs(e) === ds).length + byHand);
    expect(raw.meta.kafka).toMatchObject({ quarantined: 0 });
    const processed = json(`processed/sales_transactions/dt=${ds}/_manifest.json`);
    const rejected = json(`processed/_rejected/sales_transactions/dt=${ds}/_manifest.json`);
    // The dirty sales 250 (quantity "two") and 500 (bad time) are rejected, the retried 750 dropped (and the hand-published pair's older two).
    expect(rejected.rows).toBe(2);
    expect(processed.meta.counts.duplicates).toBe(1 + byHand);
    expect(processed.rows + rejected.rows + processed.meta.counts.duplicates).toBe(raw.rows);
    // The record's event_time, declared in standardize, is kept typed; the other record columns are dropped.
    expect(raw.schema.filter((c: any) => c.name === 'event_time')).toHaveLength(1);
    expect(processed.schema.find((c: any) => c.name === 'event_time')).toMatchObject({ kind: 'timestamp' });
    expect(processed.meta.undeclared_columns.sort()).toEqual(['headers', 'key', 'offset', 'partition', 'timestamp', 'topic']);
    const report = json(`quality/dt=${ds}/report.json`);
    expect(report.status).toBe('passed');
    // Warnings may fail (dim_customer's profile drifts as customers move); no error-severity check does.
    expect(report.checks.filter((c: any) => c.status === 'failed' && c.severity === 'error').map((c: any) => c.name)).toEqual([]);
    expect(report.checks.find((c: any) => c.name === 'fact_sales.reconciliation()')?.status).toBe('passed');
  }
});

it('lands late sales in their event days, which status marks for re-processing and shows up to date once re-run', () => {
  const late = events.filter((e) => landingDs(e) !== e.ds);
  expect(late.length).toBeGreaterThan(0);
  const lateDays = [...new Set(late.map(landingDs))].filter((ds) => ds >= DAYS[0]!).sort();
  expect(lateDays.length).toBeGreaterThan(0);
  for (const ds of lateDays) {
    const day = status.first!.days.find((d: any) => d.ds === ds);
    expect(day.late.reduce((n: number, l: any) => n + l.events, 0)).toBe(late.filter((e) => landingDs(e) === ds).length);
    expect(day.rerunFrom).toBe('standardize');
  }
  expect(rerun).toEqual(lateDays);
  expect(status.after!.days.filter((d: any) => d.rerunFrom)).toEqual([]);
  // Late sales of the first day whose event day was never run wait in that day's raw partition.
  const before = late.filter((e) => landingDs(e) < DAYS[0]!);
  for (const ds of new Set(before.map(landingDs))) expect(json(`raw/kafka/orders_stream/sales_transactions/dt=${ds}/_manifest.json`).meta.kafka.late_in.rows).toBe(before.filter((e) => landingDs(e) === ds).length);
});

it('holds every published transaction once, at its latest version, with the revenue to the cent', async () => {
  const want = expectedFacts();
  const rows = await db('fact_sales').select('transaction_id', 'quantity', 'discount', 'tax_amount', 'total_amount');
  expect(rows.length).toBe(want.size);
  expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(rows.length);
  const got = new Map(rows.map((r) => [r.transaction_id as string, r]));
  const mismatches: string[] = [];
  for (const [id, v] of want) {
    const r = got.get(id);
    if (!r) mismatches.push(`${id}: missing`);
    else if (r.quantity !== v.quantity || Math.round(Number(r.discount) * 100) !== Math.round(Number(v.discount) * 100) || cents(r.tax_amount) !== cents(v.tax_amount) || cents(r.total_amount) !== cents(v.total_amount)) {
      mismatches.push(`${id}: warehouse ${JSON.stringify(r)}, published v${v.version} ${JSON.stringify(v)}`);
    }
  }
  expect(mismatches.slice(0, 5)).toEqual([]);
  const revenue = (await db('fact_sales').sum({ s: 'total_amount' }))[0]!.s;
  const published = [...want.values()].reduce((n, v) => n + cents(v.total_amount), 0);
  expect(cents(revenue)).toBe(published);

  // The range holds corrections of its own earlier days: the warehouse keeps their newer version.
  const firstDelivered = new Map<string, OrderEvent['value']>();
  for (const e of events) if (!firstDelivered.has(e.key)) firstDelivered.set(e.key, e.value);
  const correctedInRange = [...want].filter(([id, v]) => v.version > 1 && firstDelivered.get(id)!.version === 1);
  expect(correctedInRange.length).toBeGreaterThan(0);
  for (const [id, v] of correctedInRange) expect(cents(got.get(id)!.total_amount)).toBe(cents(v.total_amount));
  // The correction published before a stale retry of the original wins.
  expect(got.get(RETRY_CORRECTION.transaction_id)!.quantity).toBe(RETRY_CORRECTION.quantity);
  expect(cents(got.get(RETRY_CORRECTION.transaction_id)!.total_amount)).toBe(cents(RETRY_CORRECTION.total_amount));
  // Late sales are dated on their own (earlier) day.
  const late = events.filter((e) => e.late && want.has(e.key));
  expect(late.length).toBeGreaterThan(0);
  const dated = await db('fact_sales').join('dim_date', 'fact_sales.date_key', 'dim_date.date_key').whereIn('transaction_id', late.map((e) => e.key)).select('transaction_id', 'dim_date.full_date');
  const dateOf = new Map(dated.map((r: any) => [r.transaction_id, String(r.full_date).slice(0, 10)]));
  for (const e of late) expect(dateOf.get(e.key)).toBe(e.value.event_time.slice(0, 10));
});
