/**
 * The load-warehouse step against real servers: PostgreSQL and MariaDB/MySQL.
 *
 * Needs (started outside jest; nothing is started here):
 *   - PostgreSQL at WAREHOUSE_TEST_PG_URL    (default postgres://postgres@127.0.0.1:5432/test)
 *   - MySQL/MariaDB at WAREHOUSE_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test)
 * The user must be allowed to create databases. Each run creates its own database lw_test_<random>
 * and drops it afterwards, so runs in parallel do not collide. An unreachable server FAILS the
 * suite: these tests are never skipped.
 *
 * Each dialect loads the same small curated partitions as a SQLite reference warehouse and must
 * end with the same rows and the same analytical query answers; then the deterministic sample
 * (tasks/sample-data, seed 42) through the whole pipeline gives the same seven answers on all three;
 * and a load killed (SIGKILL) in the middle of the fact table leaves the warehouse as before.
 * Needs `npm run build` first (npm test does it): the pipeline and the killed load run the dist
 * entrypoints as child processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WarehouseConfig } from '@salesflow/config';
import { ExitCode } from '@salesflow/errors';
import { Lake, LocalStorage } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import type { Knex } from 'knex';
import {
  DEMO_CONFIG,
  fact,
  loadContext,
  sampleCurated,
  sampleDimensions,
  sampleFacts,
  snapshotWarehouse,
  writeCurated,
} from '../../tasks/load-warehouse/src/curated-fixture.test-util';
import { loadStarSchema, openWarehouse, runAnalyticalQueries, runSql, WarehouseLoadError } from '../../tasks/load-warehouse/src';
import { createTestDatabase } from './warehouse-servers';

const ROOT = path.resolve(__dirname, '../..');

const A = '2026-11-25';
const B = '2026-11-26';
const C = '2026-11-28';

const SERVERS = [
  { client: 'postgres' as const, url: process.env.WAREHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test', envVar: 'WAREHOUSE_TEST_PG_URL' },
  { client: 'mysql' as const, url: process.env.WAREHOUSE_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test', envVar: 'WAREHOUSE_TEST_MYSQL_URL' },
];

/** The warehouse section for a server URL, pointed at another database. */
function warehouseOf(client: 'postgres' | 'mysql', url: string, database?: string): WarehouseConfig {
  const u = new URL(url);
  return {
    client,
    connection: {
      host: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      user: decodeURIComponent(u.username),
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: database ?? (u.pathname.replace(/^\//, '') || (client === 'postgres' ? 'postgres' : 'mysql')),
    },
    batch_size: 3,
    mysql_bulk: 'load_data',
  };
}

let dir: string;
let lake: Lake;
let reference: { snapshot: Awaited<ReturnType<typeof snapshotWarehouse>>; queries: Awaited<ReturnType<typeof runAnalyticalQueries>> };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'warehouse-dialects-'));
  lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
  await writeCurated(lake, A, sampleCurated(A));
  await writeCurated(lake, B, sampleCurated(B));
  // The SQLite warehouse is the reference every server must agree with.
  const sqlite: WarehouseConfig = { client: 'sqlite', sqlite: { filename: path.join(dir, 'reference.sqlite') }, batch_size: 500 };
  await loadStarSchema(loadContext(lake, A, sqlite));
  await loadStarSchema(loadContext(lake, B, sqlite));
  const db = openWarehouse(sqlite);
  try {
    reference = { snapshot: await snapshotWarehouse(db), queries: await runAnalyticalQueries(db) };
  } finally {
    await db.destroy();
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(SERVERS)('load-warehouse on $client', ({ client, url, envVar }) => {
  const database = `lw_test_${randomBytes(5).toString('hex')}`;
  const warehouse = warehouseOf(client, url, database);
  let admin: Knex | undefined;
  let db: Knex | undefined;
  const load = (ds: string) => loadStarSchema(loadContext(lake, ds, warehouse));

  beforeAll(async () => {
    const where = `${client} at ${new URL(url).host}`;
    admin = openWarehouse(warehouseOf(client, url));
    try {
      await admin.raw('SELECT 1');
    } catch (e) {
      throw new Error(`${where} is not reachable (${(e as Error).message}); start it or point ${envVar} at one. These tests never skip.`);
    }
    await admin.raw(`CREATE DATABASE ${database}`);
    db = openWarehouse(warehouse);
  });

  afterAll(async () => {
    await db?.destroy();
    if (admin) {
      await admin.raw(client === 'postgres' ? `DROP DATABASE IF EXISTS ${database} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${database}`);
      await admin.destroy();
    }
  });

  it('loads the same rows as SQLite, and again the same rows when a ds is re-loaded', async () => {
    await load(A);
    const first = await load(B);
    expect(first.outputs).toContainEqual({ uri: `${client}://${database}/fact_sales`, rows: 5 });
    const snap = await snapshotWarehouse(db!);
    expect(snap).toEqual(reference.snapshot);

    const again = await load(B);
    expect(again.metrics).toMatchObject({ tables: { fact_sales: { rowsOut: 5, merge: { inserted: 0, updated: 0, unchanged: 5, superseded: 0, removed: 0 } } } });
    expect(await snapshotWarehouse(db!)).toEqual(reference.snapshot);

    const [view] = await runSql(db!, client, 'SELECT COUNT(*) AS n FROM vw_sales_analysis');
    expect(Number(view!.n)).toBe(7);
  });

  it('gives the same analytical answers as SQLite', async () => {
    const results = await runAnalyticalQueries(db!);
    expect(results).toEqual(reference.queries);
    expect(results.find((r) => r.name === 'revenue_by_category')!.rows).toContainEqual({ category: 'Unknown', subcategory: 'Unknown', transactions: 1, units: 4, revenue: 40 });
  });

  it('keeps natural keys that differ only in case apart', async () => {
    const ids = (await db!('dim_customer').select('customer_id').orderBy('customer_key')).map((r: { customer_id: string }) => r.customer_id);
    expect(ids).toEqual(['UNKNOWN', 'C001', 'C002', 'c002']);
  });

  it('rolls the whole load back when a fact row breaks a foreign key', async () => {
    const before = await snapshotWarehouse(db!);
    const dims = sampleDimensions();
    await writeCurated(lake, C, {
      ...dims,
      dim_customer: dims.dim_customer.map((c) => (c.customer_key === 1 ? { ...c, city: 'Changed' } : c)),
      fact_sales: [fact('T0100', C, [20261128, 1, 1, 1], 1, 5, '2026-11-28T10:00:00Z'), fact('T0101', C, [20261128, 1, 999, 1], 1, 5, '2026-11-28T10:00:00Z')],
    });
    const err = await load(C).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WarehouseLoadError);
    expect((err as WarehouseLoadError).exitCode).toBe(ExitCode.badInput);
    expect((err as Error).message).toMatch(/^Loading fact_sales into the .* warehouse failed, nothing was changed: .*foreign key/i);
    expect(await snapshotWarehouse(db!)).toEqual(before);
  });

  it("re-loading a ds with fewer facts replaces only that ds's rows", async () => {
    const lake2 = new Lake(new LocalStorage(path.join(dir, `lake-${client}`)));
    await writeCurated(lake2, B, { ...sampleDimensions(), fact_sales: sampleFacts(B).slice(0, 2) });
    await loadStarSchema(loadContext(lake2, B, warehouse));
    const ids = (await db!('fact_sales').select('transaction_id', 'batch_ds').orderBy('transaction_id')).map((r: { transaction_id: string }) => r.transaction_id);
    expect(ids).toEqual(['T0001', 'T0002', 'T0003', 'T0004']);
  });
});

describe('the PostgreSQL fact table with its indexes and foreign keys rebuilt for the load, or kept', () => {
  const server = SERVERS.find((s) => s.client === 'postgres')!;
  /** fact_sales's constraints and indexes as the catalog declares them. */
  const declared = async (db: Knex) => ({
    constraints: (await db.raw(`SELECT conname, contype, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'fact_sales'::regclass ORDER BY conname`)).rows,
    indexes: (await db.raw(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'fact_sales' ORDER BY indexname`)).rows,
  });

  it('gives the same rows and the same declared keys and indexes either way, and rolls a broken foreign key back either way', async () => {
    const broken = new Lake(new LocalStorage(path.join(dir, 'lake-broken-key')));
    await writeCurated(broken, C, { ...sampleDimensions(), fact_sales: [fact('T0100', C, [20261128, 1, 1, 1], 1, 5, '2026-11-28T10:00:00Z'), fact('T0101', C, [20261128, 1, 999, 1], 1, 5, '2026-11-28T10:00:00Z')] });
    const kept = await createTestDatabase(server, 'fact_keep');
    const rebuilt = await createTestDatabase(server, 'fact_rebuild');
    try {
      for (const [target, factIndexes] of [[kept, 'keep'], [rebuilt, 'rebuild']] as const) {
        await loadStarSchema(loadContext(lake, A, target.warehouse), { factIndexes });
        await loadStarSchema(loadContext(lake, B, target.warehouse), { factIndexes });
        await loadStarSchema(loadContext(lake, B, target.warehouse), { factIndexes }); // a re-run replaces B's rows
        expect(await snapshotWarehouse(target.db)).toEqual(reference.snapshot);
        const err = await loadStarSchema(loadContext(broken, C, target.warehouse), { factIndexes }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect([factIndexes, (err as WarehouseLoadError).exitCode, (err as Error).message]).toEqual([factIndexes, ExitCode.badInput, expect.stringMatching(/foreign key/i)]);
        expect(await snapshotWarehouse(target.db)).toEqual(reference.snapshot);
      }
      // kept's table is as the DDL made it: the rebuilt one must be declared the same, every key validated.
      const asDeclared = await declared(kept.db);
      expect(asDeclared.constraints.filter((c: { contype: string; convalidated: boolean }) => c.contype === 'f' && c.convalidated)).toHaveLength(4);
      expect(asDeclared.indexes).toHaveLength(6);
      expect(await declared(rebuilt.db)).toEqual(asDeclared);
    } finally {
      await kept.drop();
      await rebuilt.drop();
    }
  });
  it('keeps the indexes instead when a query holds the tables for longer than the rebuild may wait', async () => {
    const target = await createTestDatabase(server, 'fact_busy');
    const reader = openWarehouse(target.warehouse);
    try {
      await loadStarSchema(loadContext(lake, A, target.warehouse), { factIndexes: 'keep' });
      await reader.transaction(async (busy) => {
        await busy('fact_sales').count(); // holds its lock until this transaction ends
        const started = Date.now();
        await loadStarSchema(loadContext(lake, B, target.warehouse), { factIndexes: 'rebuild', rebuildLockWaitMs: 300 });
        expect(Date.now() - started).toBeLessThan(20_000);
      });
      expect(await snapshotWarehouse(target.db)).toEqual(reference.snapshot);
    } finally {
      await reader.destroy();
      await target.drop();
    }
  });
});

describe('the deterministic sample through the whole pipeline', () => {
  const DS = '2026-11-26';
  let work: string;
  let sampleLake: Lake;
  let sqliteAnswers: Awaited<ReturnType<typeof runAnalyticalQueries>>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'sample-dialects-'));
    const env = { ...process.env, LAKE_ROOT: path.join(work, 'lake'), LANDING_PATH: path.join(work, 'landing'), WAREHOUSE_SQLITE: path.join(work, 'wh.sqlite'), LOG_LEVEL: 'warn' };
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args[0]} failed with exit ${r.status}: ${r.stderr.slice(-3000)}`);
    };
    run(['tasks/sample-data/dist/main.js', '--out', path.join(env.LANDING_PATH, `dt=${DS}`), '--ds', DS, '--seed', '42']);
    run(['tasks/run-pipeline/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', DS]);
    sampleLake = new Lake(new LocalStorage(env.LAKE_ROOT));
    const db = openWarehouse({ client: 'sqlite', sqlite: { filename: env.WAREHOUSE_SQLITE }, batch_size: 500 });
    try {
      sqliteAnswers = await runAnalyticalQueries(db);
    } finally {
      await db.destroy();
    }
  }, 300_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each(SERVERS)('gives the same seven answers on $client as on SQLite', async (server) => {
    expect(sqliteAnswers.map((q) => [q.name, q.rows.length > 0])).toEqual(
      ['revenue_by_category', 'revenue_by_period', 'top_customers', 'revenue_by_region', 'top_products', 'monthly_trend', 'customer_segments'].map((n) => [n, true]),
    );
    const target = await createTestDatabase(server, 'sample_test', 2000);
    try {
      await loadStarSchema({ ds: DS, lake: sampleLake, log: silentLogger, config: { ...DEMO_CONFIG, warehouse: target.warehouse } });
      expect(await runAnalyticalQueries(target.db)).toEqual(sqliteAnswers);
    } finally {
      await target.drop();
    }
  });
});

describe.each(SERVERS)('a load killed in the middle on $client', (server) => {
  const FACTS = 200_000;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'killed-load-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** Whether the fact table's bulk statement (COPY, LOAD DATA or INSERT) is running in the database now, from the server's own view. */
  async function factLoadRunning(admin: Knex, database: string): Promise<boolean> {
    if (server.client === 'postgres') {
      const r = await admin.raw(`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = ? AND state = 'active' AND query LIKE 'COPY "_stage_fact_sales"%'`, [database]);
      return Number(r.rows[0].n) > 0;
    }
    const [rows] = await admin.raw("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND (info LIKE 'LOAD DATA%`_stage_fact_sales`%' OR info LIKE 'INSERT INTO `_stage_fact_sales`%')", [database]);
    return Number(rows[0].n) > 0;
  }

  it('leaves the warehouse as before, and the next load completes it', async () => {
    const target = await createTestDatabase(server, 'kill_test');
    try {
      const lake = new Lake(new LocalStorage(path.join(work, 'lake')));
      await writeCurated(lake, A, sampleCurated(A));
      const dims = sampleDimensions();
      const many = Array.from({ length: FACTS }, (_, i) => fact(`K${String(i).padStart(7, '0')}`, B, [20261126, 1 + (i % 3), 1 + (i % 3), 1 + (i % 2)], 1, 1.5, '2026-11-26T10:00:00Z'));
      await writeCurated(lake, B, { ...dims, dim_customer: dims.dim_customer.map((c) => (c.customer_key === 1 ? { ...c, city: 'Changed' } : c)), fact_sales: many });
      await loadStarSchema(loadContext(lake, A, target.warehouse));
      const before = await snapshotWarehouse(target.db);

      const child = spawn(
        process.execPath,
        [
          '-e',
          `const { Lake, LocalStorage } = require('@salesflow/lake');
           const { silentLogger } = require('@salesflow/logging');
           const { readConfig } = require('@salesflow/config');
           const { loadStarSchema } = require('./tasks/load-warehouse/dist');
           const { config } = readConfig('config/demo_config.yaml', () => undefined);
           loadStarSchema({ ds: ${JSON.stringify(B)}, lake: new Lake(new LocalStorage(${JSON.stringify(path.join(work, 'lake'))})), log: silentLogger,
             config: { ...config, warehouse: ${JSON.stringify(target.warehouse)} } }).then(() => console.log('committed'));`,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? null : code)));
      const admin = openWarehouse({ ...target.warehouse, connection: { ...target.warehouse.connection!, database: server.client === 'postgres' ? 'postgres' : 'mysql' } });
      try {
        const deadline = Date.now() + 60_000;
        let running = false;
        while (!running && Date.now() < deadline && child.exitCode === null) {
          running = await factLoadRunning(admin, target.name);
          if (!running) await new Promise((r) => setTimeout(r, 10));
        }
        if (!running) throw new Error(`never saw the fact load running (child: ${out.slice(-2000)})`);
        child.kill('SIGKILL');
        expect(await exited).toBeNull();
        expect(out).not.toContain('committed');

        // The server rolls the dead connection's transaction back.
        expect(await snapshotWarehouse(target.db)).toEqual(before);
        const again = await loadStarSchema(loadContext(lake, B, target.warehouse));
        expect(again.metrics).toMatchObject({ tables: { fact_sales: { rowsOut: FACTS, merge: { inserted: FACTS, updated: 0, unchanged: 0, superseded: 0, removed: 0 } } } });
        const [{ n }] = await target.db('fact_sales').count({ n: '*' });
        expect(Number(n)).toBe(FACTS + 2);
        expect((await target.db('dim_customer').where({ customer_key: 1 }).first()).city).toBe('Changed');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await admin.destroy();
      }
    } finally {
      await target.drop();
    }
  });
});
