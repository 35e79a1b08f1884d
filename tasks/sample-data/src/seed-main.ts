#!/usr/bin/env node
import { knex, type Knex } from 'knex';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applySourceChanges } from './apply-source-changes';
import { parseDs } from './parse-ds';
import { DEFAULT_SEED_TABLES, SEED_TABLES, seedDatabase, type SeedTable } from './seed-database';
import { SAMPLE_DATA_DEFAULTS } from './sample-data-config';
import { createJsonLinesLogger } from './sample-data-logger';
import { SampleDataUsageError } from './sample-data-usage-error';

const STEP = 'sample-data-seed';

/** knex on a postgres:// or mysql:// URL, sessions in UTC; the password may also come from SEED_DB_PASSWORD. */
function openDatabase(client: 'postgres' | 'mysql', url: string): Knex {
  const u = new URL(url);
  const connection = {
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : process.env.SEED_DB_PASSWORD,
    database: u.pathname.replace(/^\//, ''),
    ...(client === 'mysql' ? { timezone: 'Z' } : {}),
  };
  const utc = client === 'postgres' ? "SET TIME ZONE 'UTC'" : "SET time_zone = '+00:00'";
  return knex({
    client: client === 'postgres' ? 'pg' : 'mysql2',
    connection,
    pool: { min: 0, max: 1, afterCreate: (c: { query(s: string, cb: (e: Error | null) => void): void }, done: (e: Error | null, c: unknown) => void) => c.query(utc, (e) => done(e, c)) },
  });
}

/**
 * `node tasks/sample-data/dist/seed-main.js --client postgres --url postgres://user@host/db [--scale 1] [--ds D]`
 * loads the sample entities into a source database (PostgreSQL: customers, products,
 * sales_transactions; MySQL: locations; --tables overrides). With --changes N it instead changes
 * an already seeded database: N rows updated per table and N transactions committed late.
 */
async function main(argv: readonly string[]): Promise<number> {
  const started = Date.now();
  try {
    const args = yargs(argv)
      .scriptName(STEP)
      .usage('$0 --client postgres|mysql --url URL [--ds D] [--scale 1] [--tables a,b] | --changes N [--at ISO] [--late-seconds 600]')
      .options({
        client: { choices: ['postgres', 'mysql'] as const, demandOption: true, describe: 'Database engine (mysql covers MariaDB)' },
        url: { type: 'string', demandOption: true, describe: 'postgres://user[:password]@host[:port]/db or mysql://...; or the password in SEED_DB_PASSWORD' },
        ds: { type: 'string', default: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), describe: 'Transactions fall in the --days days before ds; other rows are stamped updated_at = ds' },
        seed: { type: 'number', default: SAMPLE_DATA_DEFAULTS.seed, describe: 'PRNG seed, as the file generator' },
        scale: { type: 'number', default: SAMPLE_DATA_DEFAULTS.scale, describe: 'Transactions x scale (10,000 at 1)' },
        days: { type: 'number', default: SAMPLE_DATA_DEFAULTS.days, describe: 'Days before ds that transactions are spread over' },
        tables: { type: 'string', describe: `Comma-separated tables among ${SEED_TABLES.join(', ')}` },
        changes: { type: 'number', describe: 'Change N rows per table and add N late transactions, instead of seeding' },
        at: { type: 'string', describe: 'Time of the changes (ISO-8601); default now' },
        'late-seconds': { type: 'number', default: 600, describe: 'How far before --at the late transactions are stamped' },
      })
      .strict()
      .version(false)
      .help()
      .fail((msg, err) => {
        throw err ?? new SampleDataUsageError(msg);
      })
      .parseSync();
    const tables = (args.tables ? args.tables.split(',').map((t) => t.trim()) : DEFAULT_SEED_TABLES[args.client]) as SeedTable[];
    const unknown = tables.filter((t) => !SEED_TABLES.includes(t));
    if (unknown.length) throw new SampleDataUsageError(`--tables: unknown ${unknown.join(', ')}; choose among ${SEED_TABLES.join(', ')}`);
    const ds = parseDs(args.ds);
    if (!ds.ok) throw new SampleDataUsageError(`--ds: ${ds.error}`);
    const log = createJsonLinesLogger({ step: STEP, ds: args.ds }, (line) => process.stderr.write(line + '\n'));
    const db = openDatabase(args.client, args.url);
    try {
      let result: unknown;
      if (args.changes !== undefined) {
        const at = args.at ? new Date(args.at) : new Date();
        if (Number.isNaN(at.getTime())) throw new SampleDataUsageError(`--at "${args.at}" is not an ISO-8601 time`);
        result = await applySourceChanges(db, tables, { count: args.changes, at, lateSeconds: args['late-seconds'] });
      } else {
        let last = Date.now();
        result = await seedDatabase(db, {
          client: args.client,
          tables,
          seed: args.seed,
          scale: args.scale,
          ds: args.ds,
          days: args.days,
          onProgress: (table, rows) => {
            if (Date.now() - last < 10_000) return;
            last = Date.now();
            log.info(`${table}: ${rows} rows`, { table, rows });
          },
        });
      }
      process.stdout.write(JSON.stringify({ step: STEP, status: 'ok', client: args.client, result, seconds: (Date.now() - started) / 1000 }) + '\n');
      return 0;
    } finally {
      await db.destroy();
    }
  } catch (err) {
    const code = err instanceof SampleDataUsageError ? 2 : 1;
    process.stderr.write(JSON.stringify({ level: 'error', step: STEP, msg: err instanceof Error ? err.message : String(err) }) + '\n');
    return code;
  }
}

void main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
