/**
 * The demo over a calendar: `npm run demo`'s runner (tasks/run-pipeline/dist/demo.js) lands the
 * sample data's daily delivery of 10 consecutive days (the sales of the day, late ones, corrections
 * of earlier days) and runs every step on a temp local lake and SQLite warehouse; then 3 of those
 * days are run again, out of order. The warehouse must then equal what
 * tests/calendar/expected_from_landing.py recomputes from the landing files on its own (row count,
 * revenue per transaction date to the cent, the latest version of every corrected transaction,
 * every fact row), hold no transaction id twice, and be the same as before the re-runs.
 * Needs `npm run build` and python3; starts no server. Small scale (DEMO_SCALE 0.1: about 1,000
 * sales a day), so most of its time is the steps' start-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { planDailyDelivery } from '../../tasks/sample-data/src';

const ROOT = path.resolve(__dirname, '../..');
const FROM = '2026-11-16';
const TO = '2026-11-25';
const RERUN = ['2026-11-23', '2026-11-17', '2026-11-20'];
const work = mkdtempSync(path.join(os.tmpdir(), 'demo-range-'));
const env = {
  ...process.env,
  LAKE_ROOT: path.join(work, 'lake'),
  LANDING_PATH: path.join(work, 'landing'),
  WAREHOUSE_SQLITE: path.join(work, 'warehouse.sqlite'),
  DEMO_SCALE: '0.1',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'warn',
};

interface ExpectedFact {
  readonly ds: string;
  readonly quantity: number;
  readonly discount: string | null;
  readonly tax_amount: string | null;
  readonly total_amount: string;
  readonly transaction_date: string;
}
interface Expected {
  readonly row_count: number;
  readonly revenue_total: string;
  readonly revenue_by_date: Record<string, string>;
  readonly corrected: Record<string, ExpectedFact & { delivered_on: string[] }>;
  readonly failing_days: string[];
  readonly per_day: Record<string, { rows: number; rejected: number; duplicates: number }>;
  readonly facts: Record<string, ExpectedFact>;
}

/** Runs the demo with extra env; returns its exit code and the end of its stderr. */
function demo(extra: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['tasks/run-pipeline/dist/demo.js'], { cwd: ROOT, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stderr: r.stderr.slice(-3000) };
}

/** Every fact row, keyed by transaction id, as the comparison reads it. */
async function factsOf(db: Knex): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db('fact_sales').select('transaction_id', 'batch_ds', 'date_key', 'quantity', 'discount', 'tax_amount', 'total_amount').orderBy('transaction_id');
  return new Map(rows.map((r: Record<string, unknown>) => [r.transaction_id as string, r]));
}

const cents = (n: unknown) => Math.round(Number(n) * 100);
const centsOfText = (s: string) => Number(s.replace('.', ''));
const dateOfKey = (k: unknown) => String(k).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');

let db: Knex;
let expected: Expected;
let before: Map<string, Record<string, unknown>>;
const runs: { label: string; status: number | null; stderr: string }[] = [];

beforeAll(async () => {
  runs.push({ label: `${FROM} to ${TO}`, ...demo({ DEMO_FROM: FROM, DEMO_TO: TO }) });
  db = knex({ client: 'better-sqlite3', connection: { filename: env.WAREHOUSE_SQLITE }, useNullAsDefault: true });
  before = await factsOf(db);
  for (const ds of RERUN) runs.push({ label: `re-run of ${ds}`, ...demo({ DEMO_DS: ds }) });
  const py = spawnSync('python3', ['tests/calendar/expected_from_landing.py', '--landing', env.LANDING_PATH, '--from', FROM, '--to', TO, '--facts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (py.status !== 0) throw new Error(`expected_from_landing.py exited ${py.status ?? py.signal}: ${py.error?.message ?? ''} ${py.stderr}`);
  expected = JSON.parse(py.stdout) as Expected;
}, 1_500_000);

afterAll(async () => {
  await db?.destroy();
  rmSync(work, { recursive: true, force: true });
});

it('runs the 10 days in order and the 3 re-runs, each to exit 0', () => {
  for (const r of runs) expect({ run: r.label, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ run: r.label, status: 0, stderr: '' });
  expect(expected.failing_days).toEqual([]);
});

it('recomputes from every line landed: the 2 invalid rows and the duplicate of each day left out', () => {
  for (const [ds, day] of Object.entries(expected.per_day)) {
    const plan = planDailyDelivery(Date.parse(`${ds}T00:00:00Z`), 1_000);
    expect({ ds, ...day }).toEqual({ ds, rows: plan.regular + 1 + plan.late + plan.corrections, rejected: 2, duplicates: 1 });
  }
});

it('passes the unit tests of the recomputation', () => {
  const r = spawnSync('python3', ['-m', 'unittest', 'tests/calendar/test_expected_from_landing.py'], { cwd: ROOT, encoding: 'utf8' });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
});

it('holds the recomputed row count, with no transaction id twice', async () => {
  const [{ n, ids }] = await db('fact_sales').select(db.raw('count(*) as n'), db.raw('count(distinct transaction_id) as ids'));
  expect(Number(n)).toBe(expected.row_count);
  expect(Number(ids)).toBe(expected.row_count);
});

it('holds the recomputed revenue per transaction date and in total, to the cent', async () => {
  const rows = await db('fact_sales').select('date_key', db.raw('sum(cast(round(total_amount * 100) as integer)) as cents')).groupBy('date_key').orderBy('date_key');
  const got = Object.fromEntries(rows.map((r: { date_key: number; cents: number }) => [dateOfKey(r.date_key), Number(r.cents)]));
  const want = Object.fromEntries(Object.entries(expected.revenue_by_date).map(([d, s]) => [d, centsOfText(s)]));
  expect(got).toEqual(want);
  expect(Object.values(got).reduce((a, b) => a + b, 0)).toBe(centsOfText(expected.revenue_total));
});

it('holds the latest version of every corrected transaction', async () => {
  const corrected = Object.entries(expected.corrected);
  // 10 days at scale 0.1 re-deliver about 10 transactions a day; most of them fall in the range.
  expect(corrected.length).toBeGreaterThan(30);
  const facts = await factsOf(db);
  for (const [id, want] of corrected) {
    const got = facts.get(id);
    expect({ id, ds: got?.batch_ds, quantity: got?.quantity, total: cents(got?.total_amount), tax: cents(got?.tax_amount) }).toEqual({
      id,
      ds: want.delivered_on.at(-1),
      quantity: want.quantity,
      total: centsOfText(want.total_amount),
      tax: centsOfText(want.tax_amount!),
    });
  }
});

it('holds every recomputed fact row, from the newest day that delivered it', async () => {
  const facts = await factsOf(db);
  const got = [...facts].map(([id, r]) => [id, r.batch_ds, dateOfKey(r.date_key), r.quantity, cents(r.total_amount)]);
  const want = Object.entries(expected.facts).map(([id, f]) => [id, f.ds, f.transaction_date, f.quantity, centsOfText(f.total_amount)]);
  expect(got).toEqual(want);
});

it('is the same warehouse after the out-of-order re-runs as before them', async () => {
  expect([...(await factsOf(db))]).toEqual([...before]);
});

it('keeps history for customers who moved', async () => {
  const moved = await db('dim_customer').select('customer_id').count({ versions: '*' }).groupBy('customer_id').having(db.raw('count(*) > 1'));
  expect(moved.length).toBeGreaterThan(0);
});
