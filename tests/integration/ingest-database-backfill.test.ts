/**
 * Database sources windowed by the run's data interval, through the ingest step program
 * (`tasks/ingest/dist/main.js`, so `npm run build` first), against the real servers of
 * ingest-databases.test.ts (PostgreSQL, MariaDB/MySQL; one database per test, dropped after) and,
 * for the lake, a temp folder or a bucket on the S3 test server (LAKE_TEST_S3_ENDPOINT):
 *   - a backfill of three past days, run out of order and two days at once, lands exactly each
 *     day's rows in dt=<ds>, and writes one state per day;
 *   - a row updated later is read again into the day of its update; re-running a day gives
 *     exactly that day's rows;
 *   - {ds}, {data_interval_start} and {data_interval_end} in a query and a table's where are
 *     bound to the run's interval.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { datasets, Lake, openStorage } from '@salesflow/lake';
import { configWith, createTempDatabase, readRaw, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const ROOT = path.resolve(__dirname, '../..');
const DAYS = ['2026-11-22', '2026-11-23', '2026-11-24'] as const;
const [D1, D2, D3] = DAYS;
const D4 = '2026-11-25';
const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the ingest program for one ds; resolves when it exits. */
function ingest(config: string, ds: string, extra: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', config, '--ds', ds, '--source', 'shop', '--run-id', `backfill__${ds}`, ...extra], {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1', LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function ok(run: Promise<Run>): Promise<Run> {
  const r = await run;
  if (r.status !== 0) throw new Error(`ingest exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r;
}

/** Interval flags of a day: the default (the UTC day of ds) or Airflow's 02:00 schedule. */
type Schedule = 'midnight' | 'two_am';
function intervalArgs(ds: string, schedule: Schedule): string[] {
  if (schedule === 'midnight') return [];
  const start = new Date(`${ds}T02:00:00Z`);
  return ['--data-interval-start', start.toISOString().replace('.000Z', '+00:00'), '--data-interval-end', new Date(start.getTime() + 86_400_000).toISOString()];
}

/** The ids a day should hold: rows whose updated_at falls in the day's interval. */
function expectedIds(rows: readonly { id: number; at: string }[], ds: string, schedule: Schedule): number[] {
  const start = Date.parse(`${ds}T${schedule === 'midnight' ? '00' : '02'}:00:00Z`);
  return rows.filter((r) => Date.parse(r.at) >= start && Date.parse(r.at) < start + 86_400_000).map((r) => r.id);
}

/** A lake folder, or a new bucket on the S3 test server. */
async function newLakeRoot(kind: 'local' | 's3'): Promise<string> {
  if (kind === 'local') return path.join(mkdtempSync(path.join(os.tmpdir(), 'backfill-')), 'lake');
  if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
  const bucket = `backfill-${randomBytes(4).toString('hex')}`;
  await new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  return `s3://${bucket}/lake`;
}

function writeConfigFile(t: TempDatabase, root: string, entities: unknown[]): string {
  const config = configWith([{ name: 'shop', kind: 'database', client: t.client, connection: t.connection, fetch_size: 4, entities }]);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'backfill-config-')), 'config.yaml');
  writeFileSync(file, JSON.stringify({ ...config, lake: { ...config.lake, root } }));
  return file;
}

const idsOf = async (lake: Lake, entity: string, ds: string) =>
  (await readRaw(lake, datasets.raw('database', 'shop', entity), ds)).rows.map((r) => Number(r.id)).sort((a, b) => a - b);

const cases = [
  { client: 'postgres', lake: 'local', schedule: 'midnight' },
  { client: 'postgres', lake: 's3', schedule: 'two_am' },
  { client: 'mysql', lake: 'local', schedule: 'two_am' },
] as const;

describe.each(cases)('$client source, $lake lake, intervals at $schedule', ({ client, lake: lakeKind, schedule }) => {
  let t: TempDatabase;
  beforeEach(async () => {
    t = await createTempDatabase(client);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('backfills three past days out of order and two at once: each dt holds exactly its rows; an update lands in the day of its update; a re-run is exact', async () => {
    const ts = client === 'postgres' ? 'timestamp(3)' : 'datetime(3)';
    await t.db.raw(`CREATE TABLE orders (id integer PRIMARY KEY, amount numeric(10,2) NOT NULL, updated_at ${ts} NOT NULL)`);
    // Every 5 hours from the day before D1 to the day after D4: rows before, inside and after the backfilled days.
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, at: new Date(Date.parse(`2026-11-21T01:30:00Z`) + i * 5 * 3_600_000).toISOString() }));
    await t.db('orders').insert(rows.map((r) => ({ id: r.id, amount: `${r.id}.00`, updated_at: r.at.replace('T', ' ').replace('Z', '') })));
    const root = await newLakeRoot(lakeKind);
    const config = writeConfigFile(t, root, [{ name: 'orders', table: 'orders', cursor_column: 'updated_at', primary_key: ['id'], lookback: 3600 }]);
    const lake = new Lake(openStorage(root, { endpoint }));
    const run = (ds: string) => ok(ingest(config, ds, intervalArgs(ds, schedule)));

    // Out of order: the middle day first, then the first and the last at once.
    await run(D2);
    await Promise.all([run(D3), run(D1)]);
    for (const ds of DAYS) expect({ ds, ids: await idsOf(lake, 'orders', ds) }).toEqual({ ds, ids: expectedIds(rows, ds, schedule) });
    const landed = (await Promise.all(DAYS.map((ds) => idsOf(lake, 'orders', ds)))).flat();
    expect(new Set(landed).size).toBe(landed.length);
    // One state per day, each naming its own interval; no shared state file.
    for (const ds of DAYS) {
      const state = await lake.readJson<{ ds: string; interval: { start: string }; read_to: string }>(datasets.stateDayKey('shop', 'orders', ds));
      expect(state).toMatchObject({ ds, interval: { start: `${ds}T${schedule === 'midnight' ? '00' : '02'}:00:00.000Z` } });
      expect(state!.read_to).toBe(new Date(Date.parse(state!.interval.start) + 86_400_000).toISOString());
    }
    expect(await lake.readJson(datasets.stateKey('shop', 'orders'))).toBeUndefined();

    // A row of D1 changes on D4: D4 reads it again, with its new amount; a re-run of D2 lands the same rows.
    const first = expectedIds(rows, D1, schedule)[0]!;
    const d4At = `${D4} 12:00:00`;
    await t.db('orders').where({ id: first }).update({ amount: '999.00', updated_at: d4At });
    const before = await idsOf(lake, 'orders', D2);
    await run(D2);
    expect(await idsOf(lake, 'orders', D2)).toEqual(before);
    await run(D4);
    const d4 = (await readRaw(lake, datasets.raw('database', 'shop', 'orders'), D4)).rows;
    const moved = [...rows.filter((r) => r.id !== first), { id: first, at: `${D4}T12:00:00Z` }];
    expect(d4.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(expectedIds(moved, D4, schedule).sort((a, b) => a - b));
    expect(d4.find((r) => Number(r.id) === first)?.amount).toBe('999.00');
    // Re-running D1 now gives D1's rows as the source knows them: the updated row belongs to D4.
    await run(D1);
    expect(await idsOf(lake, 'orders', D1)).toEqual(expectedIds(moved, D1, schedule));
  }, 120_000);

  it('binds {ds}, {data_interval_start} and {data_interval_end} in a query and in a table where', async () => {
    const ts = client === 'postgres' ? 'timestamp' : 'datetime';
    await t.db.raw(`CREATE TABLE visits (id integer PRIMARY KEY, day date NOT NULL, at ${ts} NOT NULL, note varchar(20))`);
    await t.db('visits').insert([
      { id: 1, day: D1, at: `${D1} 01:00:00`, note: '{ds}' },
      { id: 2, day: D1, at: `${D1} 03:00:00`, note: 'x' },
      { id: 3, day: D2, at: `${D2} 01:59:59`, note: 'y' },
      { id: 4, day: D2, at: `${D2} 02:00:00`, note: 'z' },
    ]);
    const root = await newLakeRoot(lakeKind);
    const config = writeConfigFile(t, root, [
      { name: 'by_day', table: 'visits', columns: ['id', 'day'], where: 'day = {ds}' },
      { name: 'in_interval', query: "SELECT id, note FROM visits WHERE at >= {data_interval_start} AND at < {data_interval_end} AND note <> '{ds}'" },
    ]);
    const lake = new Lake(openStorage(root, { endpoint }));
    await ok(ingest(config, D1, intervalArgs(D1, schedule)));
    expect(await idsOf(lake, 'by_day', D1)).toEqual([1, 2]);
    // Row 1's note is the text '{ds}': a literal, never a placeholder.
    expect(await idsOf(lake, 'in_interval', D1)).toEqual(schedule === 'midnight' ? [2] : [2, 3]);
  }, 60_000);
});
