import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BatchBuilder, schemaOf, type ColumnDef } from '@salesflow/batches';
import { Lake, LocalStorage, STEP_PROCESS_ENV, datasets } from '@salesflow/lake';
import type { Knex } from 'knex';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { openWarehouse } from '../open-warehouse';

/**
 * `npm run bench:star`: the star schema built from BENCH_ROWS masked sales (default 10 M; 200k
 * customers, 2,000 products, 200 stores) on a temp local lake, then loaded into PostgreSQL and
 * MySQL/MariaDB, each through the step's own entrypoint (node tasks/<step>/dist/main.js), with
 * peak RSS from the run reports.
 *
 * What is compared (the yardstick of the warehouse load; bench/bench.py measures the same):
 *   - ours: fact rows of the ds / wall time of the whole load-warehouse process into an empty
 *     warehouse: Node start, schema check, reading every curated partition (Parquet) from the
 *     lake, the dimensions (staged and upserted), the fact rows, the commit, and the exit.
 *   - COPY FROM: the same fact rows (dumped by COPY TO into a local text file, not timed) read by
 *     a plain `COPY ... FROM STDIN` (text format, autocommit) into an empty table of the fact's
 *     shape: LIKE fact_sales INCLUDING ALL (its primary key and indexes) plus its four foreign keys
 *     to the loaded dimensions. The same rows into the same target, with nothing else to do.
 *   - for context only, COPY FROM of the same rows into a bare table (no index, no key): the
 *     server's raw ingest rate, which no load into an indexed, keyed table reaches.
 * The MySQL lines do the same with LOAD DATA LOCAL INFILE.
 *
 * Servers: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) and BENCH_MYSQL_URL
 * (default mysql://root@127.0.0.1:3306/mysql); BENCH_TARGETS=postgres,mysql picks them. Each run
 * makes a database bench_star_<random> and drops it. The quality step is not run: the bench
 * writes a passed report so load-warehouse's gate lets the ds through. BENCH_DIR for a roomier disk,
 * BENCH_KEEP=1 keeps the lake. BENCH_LOAD_FROM=<another checkout, built> runs that checkout's
 * load-warehouse instead of this one's (a before/after comparison on the same rows).
 */

const REPO = path.resolve(__dirname, '../../../..');
const DS = '2026-11-26';
const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 200_000);
const PRODUCTS = 2_000;
const LOCATIONS = 200;
const BATCH = 131_072;

const str = (...names: string[]): ColumnDef[] => names.map((name) => ({ name, kind: 'string' }));
const SOURCES: Record<string, ColumnDef[]> = {
  customers: str('customer_id', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country'),
  products: [...str('product_id', 'product_name', 'category', 'subcategory', 'brand'), { name: 'unit_cost', kind: 'float64' }, { name: 'unit_price', kind: 'float64' }],
  locations: str('location_id', 'store_name', 'address', 'city', 'state', 'zip_code', 'country', 'region'),
  sales_transactions: [
    ...str('transaction_id', 'customer_id', 'product_id', 'location_id'),
    { name: 'quantity', kind: 'int32' },
    ...['unit_price', 'discount', 'tax_amount', 'total_amount'].map((name): ColumnDef => ({ name, kind: 'float64' })),
    { name: 'transaction_timestamp', kind: 'timestamp' },
  ],
};

const say = (s: string) => process.stdout.write(s + '\n');
const id = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

async function writeEntity(lake: Lake, entity: string, count: number, row: (i: number) => unknown[]): Promise<void> {
  const w = lake.openPartition({ dataset: datasets.masked(entity), ds: DS, step: 'mask', runId: 'bench', schema: schemaOf(SOURCES[entity]!) });
  const b = new BatchBuilder(SOURCES[entity]!);
  for (let i = 0; i < count; i++) {
    b.appendRow(row(i));
    if (b.length === BATCH) await w.write(b.finish());
  }
  if (b.length) await w.write(b.finish());
  await w.commit();
}

/** The masked inputs: deterministic, amounts computed as the sales system does (in cents). */
async function writeMaskedInputs(lake: Lake): Promise<void> {
  await writeEntity(lake, 'customers', CUSTOMERS, (i) => [id('C', i), 'tok', 'tok', 'x@example.com', 'XXX-XXX-0000', `h${i}`, `City${i % 500}`, 'TX', '73301', 'US']);
  const price = (p: number) => 5 + (p % 300);
  await writeEntity(lake, 'products', PRODUCTS, (i) => [id('P', i), `Product ${i}`, `Cat${i % 8}`, `Sub${i % 40}`, `Brand${i % 30}`, price(i) / 2, price(i)]);
  await writeEntity(lake, 'locations', LOCATIONS, (i) => [id('L', i), `Store ${i}`, `a${i}`, `City${i}`, 'TX', '73301', 'US', `Region${i % 5}`]);
  const start = Date.parse('2025-11-27T00:00:00Z');
  await writeEntity(lake, 'sales_transactions', ROWS, (i) => {
    const p = (i * 7919) % PRODUCTS;
    const q = 1 + (i % 10);
    const pct = (i % 5) * 5;
    const gross = q * price(p) * 100 * (100 - pct); // hundredths of a cent
    const tax = Math.floor((gross * 8 + 5_000) / 10_000);
    const total = Math.floor((gross + 50) / 100) + tax;
    return [id('T', i), id('C', (i * 31) % CUSTOMERS), id('P', p), id('L', i % LOCATIONS), q, price(p), pct / 100, tax / 100, total / 100, start + (i % 365) * 86_400_000 + (i % 86_400) * 1000];
  });
}

interface RunReport {
  readonly rows_in: number;
  readonly rows_out: number;
  readonly duration_s: number;
  readonly peak_rss_mb: number;
  readonly metrics?: { tables?: Record<string, { rowsOut: number; seconds: number; method: string }> };
}

/** Runs a step's program to its exit; wall_s is the whole process, from spawn to exit. */
function runStep(step: string, configFile: string, lakeRoot: string): RunReport & { readonly wall_s: number } {
  const started = Date.now();
  const root = step === 'load-warehouse' && process.env.BENCH_LOAD_FROM ? path.resolve(process.env.BENCH_LOAD_FROM) : REPO;
  const r = spawnSync(process.execPath, [path.join(root, `tasks/${step}/dist/main.js`), '--config', configFile, '--ds', DS], {
    cwd: REPO,
    env: { ...STEP_PROCESS_ENV, ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const wall_s = (Date.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${step} exited ${r.status}`);
  return { ...(JSON.parse(readFileSync(path.join(lakeRoot, '_runs', `dt=${DS}`, `${step}.json`), 'utf8')) as RunReport), wall_s };
}

/** The demo config with the lake at lakeRoot and the given warehouse section. */
function writeConfig(file: string, lakeRoot: string, warehouseYaml: string): void {
  const demo = readFileSync(path.join(REPO, 'config/demo_config.yaml'), 'utf8');
  const text = demo.replace('${LAKE_ROOT:-.demo/lake}', lakeRoot).replace(/\nwarehouse:\n[\s\S]*$/, `\nwarehouse:\n${warehouseYaml}\n`);
  writeFileSync(file, text);
}

function serverOf(client: 'postgres' | 'mysql') {
  const u = new URL(client === 'postgres' ? (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres') : (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql'));
  return { host: u.hostname, port: Number(u.port || (client === 'postgres' ? 5432 : 3306)), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

const rate = (rows: number, s: number) => (s > 0 ? Math.round(rows / s) : 0);
const line = (what: string, rows: number, seconds: number, rss?: number) =>
  say(`${what.padEnd(44)}${String(rows).padStart(11)}${seconds.toFixed(1).padStart(9)}${String(rate(rows, seconds)).padStart(11)}${(rss === undefined ? '' : String(rss)).padStart(13)}`);

/** The fact table's foreign keys, for the copy (LIKE copies indexes, not foreign keys). */
const FOREIGN_KEYS =
  'ALTER TABLE fact_copy ' +
  ['date', 'customer', 'product', 'location'].map((d) => `ADD CONSTRAINT fk_copy_${d} FOREIGN KEY (${d}_key) REFERENCES dim_${d} (${d}_key)`).join(', ');

interface PlainLoad {
  readonly rows: number;
  readonly seconds: number;
  /** The same rows into a bare table (no index, no key), for context; PostgreSQL only. */
  readonly bare?: { readonly rows: number; readonly seconds: number };
}

/**
 * Plain COPY FROM of a text dump of the fact rows into an empty table of the fact's shape (its
 * indexes and foreign keys), then into a bare one. The dump is written first and not timed.
 */
async function plainCopyPostgres(db: Knex, dump: string): Promise<PlainLoad> {
  await db.raw('CREATE TABLE fact_copy (LIKE fact_sales INCLUDING ALL)');
  await db.raw(FOREIGN_KEYS);
  await db.raw('CREATE TABLE fact_bare (LIKE fact_sales INCLUDING DEFAULTS)');
  const conn = (await db.client.acquireConnection()) as { query(s: unknown): NodeJS.WritableStream & NodeJS.ReadableStream & { rowCount: number } };
  try {
    const out = conn.query(copyTo('COPY fact_sales TO STDOUT'));
    await pipeline(out, createWriteStream(dump));
    const copyInto = async (table: string) => {
      const started = Date.now();
      const into = conn.query(copyFrom(`COPY ${table} FROM STDIN`));
      await pipeline(createReadStream(dump), into);
      return { rows: into.rowCount, seconds: (Date.now() - started) / 1000 };
    };
    const shaped = await copyInto('fact_copy');
    return { ...shaped, bare: await copyInto('fact_bare') };
  } finally {
    await db.client.releaseConnection(conn);
  }
}

/** Plain LOAD DATA LOCAL INFILE of a tab-separated dump of the fact rows into an empty table of the same shape (MySQL). */
async function plainLoadDataMysql(db: Knex, dump: string): Promise<PlainLoad> {
  await db.raw('CREATE TABLE fact_copy LIKE fact_sales');
  await db.raw(FOREIGN_KEYS);
  const cols = ['transaction_id', 'date_key', 'customer_key', 'product_key', 'location_key', 'quantity', 'unit_price', 'discount', 'tax_amount', 'total_amount', 'transaction_timestamp', 'batch_ds'];
  await db.raw(`SELECT ${cols.join(', ')} INTO OUTFILE '${dump}' FROM fact_sales`).catch(async () => {
    // The server may not write files (secure_file_priv): stream the rows out through the client instead.
    const out = createWriteStream(dump);
    const stream = db('fact_sales').select(cols).stream();
    for await (const r of stream as AsyncIterable<Record<string, unknown>>) {
      if (!out.write(cols.map((c) => (r[c] === null ? '\\N' : r[c] instanceof Date ? (r[c] as Date).toISOString().slice(0, 23).replace('T', ' ') : String(r[c]))).join('\t') + '\n')) {
        await new Promise<void>((res) => out.once('drain', () => res()));
      }
    }
    await new Promise<void>((res) => out.end(() => res()));
  });
  const conn = (await db.client.acquireConnection()) as { query(o: unknown, cb: (e: Error | null, r: { affectedRows: number }) => void): void };
  try {
    const started = Date.now();
    const result = await new Promise<{ affectedRows: number }>((resolve, reject) =>
      conn.query({ sql: `LOAD DATA LOCAL INFILE 'dump' INTO TABLE fact_copy (${cols.join(', ')})`, infileStreamFactory: () => createReadStream(dump) }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    return { rows: result.affectedRows, seconds: (Date.now() - started) / 1000 };
  } finally {
    await db.client.releaseConnection(conn);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'bench-star-'));
  const lakeRoot = path.join(work, 'lake');
  const targets = (process.env.BENCH_TARGETS ?? 'postgres,mysql').split(',').filter(Boolean) as ('postgres' | 'mysql')[];
  try {
    say(`star schema bench: ${ROWS} sales, ${CUSTOMERS} customers, ${PRODUCTS} products, ${LOCATIONS} stores; ${os.cpus().length} cores (a shared machine: figures vary run to run)`);
    let t = Date.now();
    const lake = new Lake(new LocalStorage(lakeRoot));
    await writeMaskedInputs(lake);
    say(`masked inputs written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    say(`${'what'.padEnd(44)}${'rows'.padStart(11)}${'seconds'.padStart(9)}${'rows/s'.padStart(11)}${'peak RSS MB'.padStart(13)}`);

    const buildConfig = path.join(work, 'build.yaml');
    writeConfig(buildConfig, lakeRoot, `  client: sqlite\n  sqlite: { filename: ${path.join(work, 'unused.sqlite')} }`);
    const built = runStep('build-star-schema', buildConfig, lakeRoot);
    line('build-star-schema (fact rows)', built.rows_in, built.duration_s, built.peak_rss_mb);
    await lake.writeJson(datasets.qualityPrefix(DS) + 'report.json', { ds: DS, status: 'passed', generated_at: new Date(Date.now() + 1000).toISOString(), checks: [] });

    for (const client of targets) {
      const server = serverOf(client);
      const database = `bench_star_${randomBytes(4).toString('hex')}`;
      const admin = openWarehouse({ client, connection: server, batch_size: 500, mysql_bulk: 'load_data' });
      await admin.raw(`CREATE DATABASE ${database}`);
      const db = openWarehouse({ client, connection: { ...server, database }, batch_size: 500, mysql_bulk: 'load_data' });
      try {
        const configFile = path.join(work, `${client}.yaml`);
        const conn = `  connection: { host: ${server.host}, port: ${server.port}, user: ${server.user}, ${server.password ? `password: "${server.password}", ` : ''}database: ${database} }`;
        writeConfig(configFile, lakeRoot, `  client: ${client}\n${conn}\n  batch_size: ${process.env.BENCH_BATCH_SIZE ?? 5000}`);
        const loaded = runStep('load-warehouse', configFile, lakeRoot);
        const fact = loaded.metrics?.tables?.fact_sales ?? { rowsOut: 0, seconds: 0, method: '?' };
        line(`load-warehouse ${client}: whole step, fact rows`, fact.rowsOut, loaded.wall_s, loaded.peak_rss_mb);
        line(`  (every table's rows, ${loaded.rows_in})`, loaded.rows_in, loaded.wall_s);
        line(`  of which fact_sales itself (${fact.method})`, fact.rowsOut, fact.seconds);
        const dump = path.join(client === 'mysql' ? os.tmpdir() : work, `fact-${database}.tsv`);
        const plain = client === 'postgres' ? await plainCopyPostgres(db, dump) : await plainLoadDataMysql(db, dump);
        line(client === 'postgres' ? '  COPY FROM, same rows, same table shape' : '  LOAD DATA LOCAL INFILE, same rows and shape', plain.rows, plain.seconds);
        if (plain.bare) line('  (context: COPY FROM into a bare table)', plain.bare.rows, plain.bare.seconds);
        const share = rate(fact.rowsOut, loaded.wall_s) / rate(plain.rows, plain.seconds);
        say(
          `  whole step at ${share.toFixed(2)}x the plain bulk load's rows/s (fact rows; ours: the whole process, every table; ` +
            `theirs: the fact rows from a local ${(statSync(dump).size / 1e6).toFixed(0)} MB text file into an empty table with the fact's indexes and foreign keys); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
        );
        rmSync(dump, { force: true });
      } finally {
        await db.destroy();
        await admin.raw(client === 'postgres' ? `DROP DATABASE IF EXISTS ${database} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${database}`);
        await admin.destroy();
      }
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-star: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
