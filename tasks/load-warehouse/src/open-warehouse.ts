import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { knex, type Knex } from 'knex';
import { driverTlsOptions, type WarehouseConfig } from '@salesflow/config';
import { ConfigInvalidError } from '@salesflow/errors';
import { registerSecret } from '@salesflow/logging';
import type { WarehouseDialect } from './warehouse-tables';

/** The knex client (driver) behind each dialect. */
const KNEX_CLIENT: Readonly<Record<WarehouseDialect, string>> = { sqlite: 'better-sqlite3', postgres: 'pg', mysql: 'mysql2' };

/** PostgreSQL type OIDs parsed differently from pg's defaults on our connections. */
const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const PG_DATE = 1082;

/**
 * Opens the warehouse described by the config's warehouse section as a knex instance; the caller
 * destroys it. SQLite gets its file's folder created and foreign keys switched on per connection;
 * MySQL sessions run in UTC with strict SQL modes. On PostgreSQL and MySQL, DECIMAL and BIGINT
 * results come back as JS numbers (money has scale 2, counts fit in 2^53) and DATE as
 * 'YYYY-MM-DD' text, as on SQLite, so query results compare across dialects. The password is
 * registered as a secret so no log line prints it.
 */
export function openWarehouse(cfg: WarehouseConfig): Knex {
  const common = { useNullAsDefault: true, compileSqlOnError: false, acquireConnectionTimeout: 30_000 };
  if (cfg.client === 'sqlite') {
    const filename = cfg.sqlite?.filename;
    if (!filename) throw new ConfigInvalidError('warehouse', ['warehouse.sqlite.filename: required for client sqlite']);
    if (filename !== ':memory:') mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    return knex({
      ...common,
      client: KNEX_CLIENT.sqlite,
      connection: { filename },
      pool: {
        min: 1,
        max: 1,
        afterCreate: (db: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          try {
            // Off by default in SQLite; it cannot change inside a transaction, so set it per connection.
            db.pragma('foreign_keys = ON');
            db.pragma('busy_timeout = 30000'); // a parallel backfill's load waits for the write lock instead of failing at once
            done(null, db);
          } catch (e) {
            done(e as Error, db);
          }
        },
      },
    });
  }
  const c = cfg.connection;
  if (!c) throw new ConfigInvalidError('warehouse', [`warehouse.connection: required for client ${cfg.client}`]);
  registerSecret(c.password);
  // Verified TLS unless warehouse.connection.tls says otherwise (a loopback host defaults to none).
  const ssl = driverTlsOptions(c.host, c.tls, 'warehouse.connection');
  if (cfg.client === 'postgres') {
    const pgTypes = (require('pg') as { types: { getTypeParser(oid: number, format?: string): unknown } }).types;
    const parseNumber = (v: string) => Number(v);
    return knex({
      ...common,
      client: KNEX_CLIENT.postgres,
      connection: {
        host: c.host,
        port: c.port ?? 5432,
        user: c.user,
        password: c.password,
        database: c.database,
        ssl,
        connectionTimeoutMillis: 10_000,
        // Per connection, so pg's process-wide parsers stay untouched for any other user of pg.
        types: {
          getTypeParser: ((oid: number, format?: string) =>
            format === 'binary'
              ? pgTypes.getTypeParser(oid, format)
              : oid === PG_INT8 || oid === PG_NUMERIC
                ? parseNumber
                : oid === PG_DATE
                  ? (v: string) => v
                  : pgTypes.getTypeParser(oid, format)) as never,
        },
      },
      pool: { min: 0, max: 4 },
    });
  }
  return knex({
    ...common,
    client: KNEX_CLIENT.mysql,
    connection: {
      host: c.host,
      port: c.port ?? 3306,
      user: c.user,
      password: c.password,
      database: c.database,
      ...(ssl ? { ssl } : {}),
      charset: 'utf8mb4',
      timezone: 'Z',
      decimalNumbers: true,
      // mysql2 also takes a list; knex's typing only knows the boolean.
      dateStrings: ['DATE'] as unknown as boolean,
      connectTimeout: 10_000,
    },
    pool: {
      min: 0,
      max: 4,
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
        // Strict modes make an out-of-range or too-long value an error instead of a silent truncation;
        // ONLY_FULL_GROUP_BY keeps queries portable to PostgreSQL.
        conn.query(
          "SET time_zone = '+00:00', sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
          (err) => done(err, conn),
        );
      },
    },
  });
}

/** The dialect of a knex instance made by openWarehouse (or any knex on the same drivers). */
export function dialectOf(db: Knex): WarehouseDialect {
  const client = String((db.client as { config: { client: unknown } }).config.client);
  if (client === 'better-sqlite3' || client === 'sqlite3') return 'sqlite';
  if (client === 'pg' || client === 'postgres' || client === 'postgresql') return 'postgres';
  if (client === 'mysql2' || client === 'mysql') return 'mysql';
  throw new Error(`knex client ${client} is not a warehouse dialect (sqlite, postgres, mysql)`);
}

/** Lineage URI of a warehouse table, without host or credentials: "<client>://<database or file>/<table>". */
export function warehouseTableUri(cfg: WarehouseConfig, table: string): string {
  const where = cfg.client === 'sqlite' ? (cfg.sqlite?.filename ?? '') : (cfg.connection?.database ?? '');
  return `${cfg.client}://${where}/${table}`;
}
