/**
 * The source database drops the ingest step's session while it streams rows. Starts nothing: it
 * uses the PostgreSQL (WAREHOUSE_TEST_PG_URL, default 127.0.0.1:5432) and MariaDB/MySQL
 * (WAREHOUSE_TEST_MYSQL_URL, default 127.0.0.1:3306) servers of the machine, in a database of its
 * own (sources_faults_<random>, dropped at the end) seeded by tasks/sample-data's seed-main
 * (10,000 sales_transactions), read by one source with a full entity (txn_full) and an
 * incremental one (txn_inc, cursor updated_at).
 *
 * Each trial runs the step for D2, finds the entity's query in pg_stat_activity or
 * information_schema.processlist from a second connection, and kills its backend
 * (pg_terminate_backend / KILL CONNECTION) after a seeded delay. The kill counts only when it lands
 * mid-stream: the step's error says how many rows had arrived, and that must be more than none;
 * a kill that lands after the read ended (the step completes, equal to a clean run) or before
 * any row is tried again with a new delay. Checked after a mid-stream kill: exit 1 with an error
 * saying the connection was lost, naming the table and not the password; every partition a reader
 * sees is whole and is the one that was there before, or the clean run's for an entity that
 * finished before the kill; the watermark file is byte for byte as before. Checked after the
 * rerun: exit 0, and the lake's partitions and watermark equal a clean run's.
 *
 * Trials alternate the killed entity (incremental, full) and the lake they start from (after a
 * clean D1, with a watermark; empty, a first run). npm test runs 1 trial per server (the incremental entity killed on PostgreSQL from the lake after D1, the full one on MariaDB from an empty lake);
 * `npm run faults` runs FAULTS_TRIALS_PER_STEP per server.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { datasets, openStorage } from '@salesflow/lake';
import { faultSeed, recordFigures, trialsPerStep } from './kit/fault-summary';
import { compareDigests, digestLake, type PartitionDigest } from './kit/lake-digest';
import { lakeTextObjects } from './kit/lake-strings';
import { baseEnv, ROOT, runStep, startStep, summaryOf, type StepRun } from './kit/run-step';
import { seededRandom } from './kit/seeded-random';

const SERVERS = {
  postgres: process.env.WAREHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.WAREHOUSE_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test',
} as const;
type Client = keyof typeof SERVERS;
const D1 = '2026-11-25';
const D2 = '2026-11-26';
const TRIALS = trialsPerStep(1);
/** Tries per trial to land the kill mid-stream, each with a shorter delay. */
const ATTEMPTS = 5;
/**
 * Seeded rows per source: enough that a read lasts long enough for a kill to land while it is
 * still going (PostgreSQL's binary COPY sends 10,000 rows in a few milliseconds; with 10,000 rows
 * MySQL's read was over before the kill in all 5 attempts of a trial about one run in twenty).
 */
const TRANSACTIONS_OF = { postgres: 50_000, mysql: 50_000 } as const;
const COLUMNS = ['transaction_id', 'customer_id', 'product_id', 'location_id', 'quantity', 'unit_price', 'discount', 'tax_amount', 'total_amount', 'transaction_timestamp', 'updated_at'];
const work = mkdtempSync(path.join(os.tmpdir(), 'database-faults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A database of this test's own, its admin connection, and the user the step connects as (with a canary password). */
interface SourceDb {
  readonly name: string;
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  /** knex on the server's default database, for the kills and the clean-up. */
  readonly admin: Knex;
  /** knex on the source database, to change rows between D1 and D2. */
  readonly db: Knex;
  /** The table's rows that D2's incremental read must land. */
  changed: number;
}

async function createSourceDb(client: Client): Promise<SourceDb> {
  const u = new URL(SERVERS[client]);
  const driver = client === 'postgres' ? 'pg' : 'mysql2';
  const conn = { host: u.hostname, port: Number(u.port || (client === 'postgres' ? 5432 : 3306)), user: decodeURIComponent(u.username), password: u.password ? decodeURIComponent(u.password) : undefined };
  const admin = knex({ client: driver, connection: { ...conn, database: u.pathname.slice(1) || undefined }, pool: { min: 0, max: 2 } });
  try {
    await admin.raw('SELECT 1');
  } catch (e) {
    throw new Error(`${client} at ${u.host} is not reachable (${(e as Error).message}); start it or set WAREHOUSE_TEST_${client === 'postgres' ? 'PG' : 'MYSQL'}_URL. This test never skips.`);
  }
  const suffix = randomBytes(4).toString('hex');
  const name = `sources_faults_${suffix}`;
  const password = `canary-db-pw-${randomBytes(10).toString('hex')}`;
  let user = conn.user;
  await admin.raw(`CREATE DATABASE ${name}`);
  if (client === 'mysql') {
    // root has no password here; the step connects as a user of its own whose password is the canary.
    user = `sf_faults_${suffix}`;
    await admin.raw(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.raw(`GRANT ALL PRIVILEGES ON ${name}.* TO '${user}'@'%'`);
  }
  const seedUrl = new URL(SERVERS[client]);
  seedUrl.pathname = `/${name}`;
  const seeded = spawnSync(process.execPath, [path.join(ROOT, 'tasks/sample-data/dist/seed-main.js'), '--client', client, '--url', seedUrl.toString(), '--scale', String(TRANSACTIONS_OF[client] / 10_000), '--ds', D1, '--tables', 'sales_transactions'], { cwd: ROOT, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed-main failed: ${seeded.stderr}`);
  const db = knex({ client: driver, connection: { ...conn, database: name }, pool: { min: 0, max: 1 } });
  return { name, user, password, host: conn.host, port: conn.port, admin, db, changed: 0 };
}

async function dropSourceDb(client: Client, s: SourceDb | undefined): Promise<void> {
  if (!s) return;
  await s.db.destroy();
  await s.admin.raw(client === 'postgres' ? `DROP DATABASE IF EXISTS ${s.name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${s.name}`);
  if (client === 'mysql') await s.admin.raw(`DROP USER IF EXISTS '${s.user}'@'%'`);
  await s.admin.destroy();
}

/** The demo config with the database source "db" first; the password comes from SRC_DB_PASSWORD. */
function writeConfig(client: Client, s: SourceDb): string {
  const demo = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8');
  const anchor = 'sources:\n  - name: landing';
  if (!demo.includes(anchor)) throw new Error('config/demo_config.yaml changed shape: update writeConfig()');
  const source = {
    name: 'db',
    kind: 'database',
    client,
    connection: { host: s.host, port: s.port, user: s.user, password: '${SRC_DB_PASSWORD}', database: s.name },
    // Small round trips, so a kill has rows already read and rows still to come.
    fetch_size: 100,
    entities: [
      { name: 'txn_full', table: 'sales_transactions', columns: COLUMNS },
      { name: 'txn_inc', table: 'sales_transactions', cursor_column: 'updated_at', primary_key: ['transaction_id'], lookback: 3600 },
    ],
  };
  const file = path.join(work, `${client}.yaml`);
  writeFileSync(file, demo.replace(anchor, `sources:\n  - ${JSON.stringify(source)}\n  - name: landing`));
  return file;
}

type Target = 'txn_full' | 'txn_inc';

/**
 * Polls for the target entity's streaming query from a second connection and kills its backend
 * `delayMs` after it shows up. Resolves whether a kill was sent; stops polling when `stop()` is true.
 */
async function killWhenStreaming(client: Client, s: SourceDb, target: Target, delayMs: number, stop: () => boolean): Promise<boolean> {
  // txn_full lists its columns; txn_inc selects *. The describe query (LIMIT 0) is not the stream.
  const q = (c: string) => (client === 'postgres' ? `"${c}"` : `\`${c}\``);
  // PostgreSQL's stream is a binary COPY of the SELECT: "COPY (SELECT ...) TO STDOUT".
  const copy = client === 'postgres' ? 'COPY (' : '';
  const pattern = target === 'txn_full' ? `${copy}SELECT ${q('transaction_id')}, %` : `${copy}SELECT * FROM ${q('sales_transactions')}%`;
  while (!stop()) {
    const found =
      client === 'postgres'
        ? ((await s.admin.raw(`SELECT pid AS id FROM pg_stat_activity WHERE datname = ? AND application_name = 'salesflow-ingest' AND query LIKE ? AND query NOT LIKE '%LIMIT 0' AND pid <> pg_backend_pid()`, [s.name, pattern])).rows as { id: number }[])
        : ((await s.admin.raw(`SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE ? AND info NOT LIKE '%LIMIT 0' AND id <> CONNECTION_ID()`, [s.name, pattern]))[0] as { id: number }[]);
    if (found.length) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (client === 'postgres') await s.admin.raw('SELECT pg_terminate_backend(?)', [found[0]!.id]);
      else await s.admin.raw(`KILL CONNECTION ${Number(found[0]!.id)}`).catch(() => undefined); // already gone: the read ended first
      return true;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/** The lake of one run: its digest and the state file D2's run of the incremental entity leaves, as bytes. */
async function lakeAt(dir: string): Promise<{ digest: PartitionDigest[]; state?: string }> {
  const lake = path.join(dir, 'lake');
  if (!existsSync(lake)) return { digest: [] };
  const stateFile = path.join(lake, datasets.stateDayKey('db', 'txn_inc', D2));
  return { digest: await digestLake(openStorage(lake)), state: existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : undefined };
}

const watermarkOf = (state?: string) => (state ? (JSON.parse(state) as { watermark?: { watermark?: string } }).watermark?.watermark : undefined);

describe.each(['postgres', 'mysql'] as const)('%s source: backend killed mid-stream', (client) => {
  let s: SourceDb;
  let config: string;
  const env = (dir: string) => baseEnv({ LAKE_ROOT: path.join(dir, 'lake'), SRC_DB_PASSWORD: s.password, LOG_LEVEL: 'info' });
  /** Lake folders: after a clean D1 (with a watermark), and empty; and the clean D2 run from each. */
  const start = { base: path.join(work, `${client}-base`), empty: path.join(work, `${client}-empty`) };
  const clean: Record<keyof typeof start, { digest: PartitionDigest[]; state?: string }> = { base: { digest: [] }, empty: { digest: [] } };

  /**
   * Which entity each trial kills, and from which lake. The servers start at different cases, so
   * one trial each (npm test) covers both entities and both lakes.
   */
  const plan = Array.from({ length: TRIALS }, (_, t) => {
    const k = t + (client === 'postgres' ? 0 : 1);
    const target: Target = k % 2 === 0 ? 'txn_inc' : 'txn_full';
    const from: keyof typeof start = k % 4 < 2 ? (k % 2 === 0 ? 'base' : 'empty') : k % 2 === 0 ? 'empty' : 'base';
    return { target, from };
  });
  /** Only the clean runs the planned trials compare with (each costs a few seconds). */
  const needed = (['base', 'empty'] as const).filter((k) => plan.some((p) => p.from === k));

  beforeAll(async () => {
    s = await createSourceDb(client);
    config = writeConfig(client, s);
    if (needed.includes('base')) {
      const d1 = runStep('ingest', ['--source', 'db'], { config, env: env(start.base), ds: D1 });
      if (d1.status !== 0) throw new Error(`clean D1 run exited ${d1.status}:\n${d1.stderr.slice(-2000)}`);
    }
    // A day of changes: half of the rows are updated on D2, so D2's incremental read is big enough to kill mid-stream.
    const updated = await s.db.raw(`UPDATE sales_transactions SET updated_at = '2026-11-26 01:00:00' WHERE RIGHT(transaction_id, 1) IN ('0', '2', '4', '6', '8')`);
    s.changed = client === 'postgres' ? updated.rowCount : updated[0].affectedRows;
    expect(s.changed).toBeGreaterThan(TRANSACTIONS_OF[client] / 3);
    const [inD2] = await s.db('sales_transactions').where('updated_at', '>=', `${D2} 00:00:00`).andWhere('updated_at', '<', '2026-11-27 00:00:00').count({ n: '*' });
    const rowsInD2 = Number((inD2 as { n: number | string }).n);
    for (const k of needed) {
      const dir = path.join(work, `${client}-clean-${k}`);
      if (k === 'base') cpSync(start.base, dir, { recursive: true });
      const r = runStep('ingest', ['--source', 'db'], { config, env: env(dir), ds: D2 });
      if (r.status !== 0) throw new Error(`clean D2 run from the ${k} lake exited ${r.status}:\n${r.stderr.slice(-2000)}`);
      clean[k] = await lakeAt(dir);
    }
    // What the clean runs landed: the whole table in full; incrementally, the rows of D2's interval: the changed half and the few seeded there.
    const rowsOf = (d: PartitionDigest[], dataset: string) => d.find((x) => x.dataset === dataset && x.ds === D2)?.rows;
    for (const k of needed) {
      expect(rowsOf(clean[k].digest, datasets.raw('database', 'db', 'txn_full'))).toBe(TRANSACTIONS_OF[client]);
      expect(rowsOf(clean[k].digest, datasets.raw('database', 'db', 'txn_inc'))).toBe(rowsInD2);
      expect(watermarkOf(clean[k].state)).toBe('2026-11-26T01:00:00.000Z');
    }
  }, 120_000);
  afterAll(() => dropSourceDb(client, s));

  it(`exits 1 naming the lost connection, commits nothing partial, keeps the watermark, and a rerun equals a clean run (${TRIALS} trials)`, async () => {
    const random = seededRandom(faultSeed() + (client === 'postgres' ? 101 : 202));
    const figures = { trials: 0, kills: 0, midStream: 0, completed: 0, failedCleanly: 0, partial: 0, rowsLost: 0, leaks: 0, rowsAtKill: [] as number[], attempts: 0 };
    try {
      for (let t = 0; t < TRIALS; t++) {
        const { target, from } = plan[t]!;
        const before = from === 'base' ? await lakeAt(start.base) : { digest: [] as PartitionDigest[], state: undefined };
        // The partitions a reader may see after a kill: those there before, plus the full entity's when the incremental one (read second) was killed.
        const fullD2 = clean[from].digest.filter((d) => d.dataset === datasets.raw('database', 'db', 'txn_full') && d.ds === D2);
        const allowed = target === 'txn_inc' ? [...before.digest, ...fullD2] : before.digest;
        const dir = path.join(work, `${client}-trial-${t}`);
        let landed: StepRun | undefined;
        // Both results arrive faster than the step writes them (PostgreSQL's 50,000 rows in a fraction of a second), so the kills come soon.
        let maxDelay = client === 'postgres' ? 16 : 4;
        for (let attempt = 0; attempt < ATTEMPTS && !landed; attempt++, maxDelay /= 2) {
          rmSync(dir, { recursive: true, force: true });
          if (from === 'base') cpSync(start.base, dir, { recursive: true });
          const delay = Math.round(random() * maxDelay);
          figures.attempts++;
          let ended = false;
          const stepRun = startStep('ingest', ['--source', 'db'], { config, env: env(dir), ds: D2 }).finally(() => (ended = true));
          const killed = await killWhenStreaming(client, s, target, delay, () => ended);
          const r = await stepRun;
          const after = await lakeAt(dir);
          const leaks = [r.stdout, r.stderr, ...(await textsOf(dir))].filter((x) => x.includes(s.password)).length;
          figures.leaks += leaks;
          expect({ trial: t, attempt, leaks }).toEqual({ trial: t, attempt, leaks: 0 });
          expect(after.digest.flatMap((d) => d.problems)).toEqual([]);
          if (killed) figures.kills++;
          if (r.status === 0) {
            // The kill landed after the read ended (or never found the query): a complete run, equal to a clean one.
            figures.completed++;
            expect(compareDigests(clean[from].digest, after.digest)).toEqual([]);
            continue;
          }
          const summary = summaryOf(r);
          const read = Number(/after (\d+) row\(s\)/.exec(String(summary.error))?.[1] ?? NaN);
          expect({ trial: t, attempt, status: r.status, error: summary.error }).toEqual({
            trial: t,
            attempt,
            status: 1,
            error: expect.stringMatching(new RegExp(`reading ${client}://\\S+/${s.name}/sales_transactions failed after \\d+ row\\(s\\): the connection to the database was lost: .*entity=${target}\\).* Fix: nothing of entity ${target} was committed and its watermark is unchanged; retry`)),
          });
          figures.failedCleanly++;
          // Nothing partial: whatever a reader sees was there before, or is the clean run's full entity committed before the kill.
          const unexpected = compareDigests(allowed, after.digest);
          figures.partial += unexpected.length;
          expect({ trial: t, attempt, unexpected }).toEqual({ trial: t, attempt, unexpected: [] });
          expect({ trial: t, attempt, state: after.state }).toEqual({ trial: t, attempt, state: before.state });
          if (read > 0) {
            landed = r;
            figures.midStream++;
            figures.rowsAtKill.push(read);
          }
        }
        if (!landed) throw new Error(`trial ${t}: no kill of ${target} landed mid-stream in ${ATTEMPTS} attempts`);
        figures.trials++;

        const rerun = runStep('ingest', ['--source', 'db'], { config, env: env(dir), ds: D2 });
        if (rerun.status !== 0) throw new Error(`trial ${t}: the rerun exited ${rerun.status}\n${rerun.stderr.slice(-2000)}`);
        figures.completed++;
        const after = await lakeAt(dir);
        figures.rowsLost += Math.max(0, clean[from].digest.reduce((n, d) => n + d.rows, 0) - after.digest.reduce((n, d) => n + d.rows, 0));
        expect(compareDigests(clean[from].digest, after.digest)).toEqual([]);
        expect(watermarkOf(after.state)).toBe(watermarkOf(clean[from].state));
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      recordFigures({
        suite: `${client} source killed mid-stream`,
        trials: figures.trials,
        faults_injected: figures.kills,
        runs_completed: figures.completed,
        runs_failed_cleanly: figures.failedCleanly,
        partial_partitions_seen: figures.partial,
        rows_lost: figures.rowsLost,
        leaks: figures.leaks,
        detail: { attempts: figures.attempts, mid_stream_kills: figures.midStream, rows_read_at_kill: figures.rowsAtKill, of_rows: TRANSACTIONS_OF[client] },
      });
    }
    expect(figures.midStream).toBe(TRIALS);
  }, TRIALS * 180_000);
});

/** Every non-Parquet object of a trial's lake (run report, manifests, state, lineage) as text. */
async function textsOf(dir: string): Promise<string[]> {
  if (!existsSync(path.join(dir, 'lake'))) return [];
  const out: string[] = [];
  for await (const o of lakeTextObjects(openStorage(path.join(dir, 'lake')))) out.push(o.text);
  return out;
}
