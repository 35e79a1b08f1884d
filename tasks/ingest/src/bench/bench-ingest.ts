/**
 * `npm run bench:ingest`: ingests a table of N sales rows from PostgreSQL and from MariaDB/MySQL
 * through the ingest step (the real entrypoint, a child process, into a local lake), next to the
 * database's own client dumping the same SELECT to /dev/null in the same run:
 * `psql -c "\copy (SELECT ...) TO '/dev/null'"` (COPY TO STDOUT) and `mysql --quick -e "SELECT ..."`.
 * Prints rows/s and peak RSS for each. Sizes run smallest first; flat peak RSS across sizes shows
 * the ingest streams. The tables are made in databases of their own and dropped at the end.
 *
 *   npm run bench:ingest                                   # 1 M and 10 M rows, both databases
 *   BENCH_ROWS=2000000 BENCH_CLIENTS=postgres npm run bench:ingest
 * Servers: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test) and BENCH_MYSQL_URL
 * (default mysql://root@127.0.0.1:3306/test); the user must be allowed to create databases.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knex, type Knex } from 'knex';
import { readConfig } from '@salesflow/config';

const ROOT = path.resolve(__dirname, '../../../..');
const SIZES = (process.env.BENCH_ROWS ?? '1000000,10000000').split(',').map(Number);
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'postgres,mysql').split(',') as ('postgres' | 'mysql')[];
const URLS = { postgres: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', mysql: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' };
const COLUMNS = 'id, customer_id, product_id, quantity, unit_price, total_amount, transaction_timestamp, updated_at';

function connect(client: 'postgres' | 'mysql', database?: string): Knex {
  const u = new URL(URLS[client]);
  return knex({
    client: client === 'postgres' ? 'pg' : 'mysql2',
    connection: { host: u.hostname, port: u.port ? Number(u.port) : undefined, user: decodeURIComponent(u.username), password: u.password ? decodeURIComponent(u.password) : undefined, database: database ?? (u.pathname.slice(1) || undefined) },
    pool: { min: 0, max: 1 },
  });
}

/** Fills bench_sales with n rows inside the database (generate_series / MariaDB's sequence engine or a recursive CTE), so no client round trips. */
async function fill(db: Knex, client: 'postgres' | 'mysql', n: number): Promise<void> {
  await db.raw('DROP TABLE IF EXISTS bench_sales');
  if (client === 'postgres') {
    await db.raw(`CREATE UNLOGGED TABLE bench_sales (id bigint PRIMARY KEY, customer_id varchar(16), product_id varchar(16), quantity integer, unit_price numeric(10,2), total_amount numeric(12,2), transaction_timestamp timestamptz, updated_at timestamptz NOT NULL)`);
    await db.raw(`INSERT INTO bench_sales SELECT i, 'CUST' || lpad((i % 31623)::text, 6, '0'), 'PROD' || lpad((i % 200)::text, 6, '0'), 1 + i % 10, (i % 9000) / 100.0 + 1, (i % 90000) / 100.0 + 1.5, timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + i * interval '1 second' FROM generate_series(1, ${n}) i`);
    await db.raw('ANALYZE bench_sales');
    return;
  }
  await db.raw(`CREATE TABLE bench_sales (id bigint PRIMARY KEY, customer_id varchar(16), product_id varchar(16), quantity integer, unit_price decimal(10,2), total_amount decimal(12,2), transaction_timestamp datetime(3), updated_at datetime(3) NOT NULL) ENGINE=InnoDB`);
  const version = String(((await db.raw('SELECT VERSION() AS v')) as [{ v: string }[]])[0][0]!.v);
  const source = version.includes('MariaDB') ? `seq_1_to_${n}` : `(WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < ${n}) SELECT seq FROM s) s`;
  if (!version.includes('MariaDB')) await db.raw(`SET SESSION cte_max_recursion_depth = ${n + 1}`);
  await db.raw(`INSERT INTO bench_sales SELECT seq, concat('CUST', lpad(seq % 31623, 6, '0')), concat('PROD', lpad(seq % 200, 6, '0')), 1 + seq % 10, (seq % 9000) / 100 + 1, (seq % 90000) / 100 + 1.5, timestamp '2026-01-01 00:00:00' + interval seq second, timestamp '2026-01-01 00:00:00' + interval seq second FROM ${source}`);
}

/** Seconds and peak RSS (MB) of a command, from GNU time when it exists, else wall time only. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMb?: number; stdout: string; status: number | null } {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) {
    const plain = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout: plain.stdout, status: plain.status };
  }
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rssMb: Number.isFinite(kb) ? Math.round(kb / 1024) : undefined, stdout: r.stdout, status: r.status };
}

function clientDump(client: 'postgres' | 'mysql', database: string): ReturnType<typeof timed> {
  const u = new URL(URLS[client]);
  if (client === 'postgres') {
    return timed('psql', ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), '-d', database, '-q', '-c', `\\copy (SELECT ${COLUMNS} FROM bench_sales) TO '/dev/null'`], { ...process.env, PGPASSWORD: decodeURIComponent(u.password) });
  }
  const r = timed('bash', ['-c', `mysql --quick --batch -h ${u.hostname} -P ${u.port || '3306'} -u ${decodeURIComponent(u.username)} ${database} -e "SELECT ${COLUMNS} FROM bench_sales" > /dev/null`], { ...process.env, MYSQL_PWD: decodeURIComponent(u.password) });
  return r;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  const demo = readConfig(path.join(ROOT, 'config/demo_config.yaml'), () => undefined).config;
  const lines: string[] = [];
  const say = (s: string) => {
    process.stderr.write(s + '\n');
    lines.push(s);
  };
  say(`bench:ingest on ${os.cpus().length} CPU(s), ${Math.round(os.totalmem() / 2 ** 30)} GiB; the machine may be shared, so compare figures of the same run`);
  say('client    rows        reader                  seconds   rows/s      peak RSS MB');
  try {
    for (const client of CLIENTS) {
      const name = `bench_ingest_${randomBytes(4).toString('hex')}`;
      const admin = connect(client);
      await admin.raw(`CREATE DATABASE ${name}`);
      await admin.destroy();
      const db = connect(client, name);
      try {
        for (const n of SIZES) {
          const t0 = Date.now();
          await fill(db, client, n);
          process.stderr.write(`  (filled ${n} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
          const u = new URL(URLS[client]);
          const config = {
            ...demo,
            lake: { ...demo.lake, root: path.join(work, `lake-${client}-${n}`) },
            sources: [
              ...demo.sources,
              { name: 'bench', kind: 'database', client, fetch_size: 10_000, connection: { host: u.hostname, port: u.port ? Number(u.port) : undefined, user: decodeURIComponent(u.username), database: name, ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }, entities: [{ name: 'bench_sales', table: 'bench_sales', columns: COLUMNS.split(', ') }] },
            ],
          };
          const file = path.join(work, 'config.yaml');
          writeFileSync(file, JSON.stringify(config));
          const dump = clientDump(client, name);
          const row = (reader: string, r: { seconds: number; rssMb?: number }) =>
            say(`${client.padEnd(9)} ${String(n).padEnd(11)} ${reader.padEnd(23)} ${r.seconds.toFixed(1).padStart(7)}   ${String(Math.round(n / r.seconds)).padEnd(11)} ${r.rssMb ?? '?'}`);
          row(client === 'postgres' ? 'psql \\copy to /dev/null' : 'mysql --quick >/dev/null', dump);
          const ing = timed(process.execPath, [path.join(ROOT, 'tasks/ingest/dist/main.js'), '--config', file, '--ds', '2026-11-26', '--source', 'bench'], { ...process.env, LOG_LEVEL: 'warn' });
          const summary = JSON.parse(ing.stdout.trim().split('\n').pop() || '{}') as { rows_out?: number; status?: string };
          if (summary.rows_out !== n) throw new Error(`ingest landed ${summary.rows_out} rows, expected ${n} (${summary.status})`);
          row('ingest -> Parquet', ing);
          rmSync(config.lake.root, { recursive: true, force: true });
        }
        await db.raw('DROP TABLE IF EXISTS bench_sales');
      } finally {
        await db.destroy();
        const drop = connect(client);
        await drop.raw(`DROP DATABASE IF EXISTS ${name}`);
        await drop.destroy();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ingest failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
