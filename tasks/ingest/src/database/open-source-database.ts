import { knex, type Knex } from 'knex';
import { driverTlsOptions, type DatabaseSourceConfig } from '@salesflow/config';
import { registerSecret } from '@salesflow/logging';

type Done = (err: Error | null, conn: unknown) => void;
type RawConn = { query(sql: string, cb: (err: Error | null) => void): void };

/**
 * A knex pool on a source database, sessions in UTC. MySQL connections return DECIMAL, BIGINT and
 * dates as text (no value passes through a double or the local time zone); PostgreSQL results
 * are parsed per query (see pgTypeParsers). The password is registered as a secret so no log
 * line prints it. TLS follows connection.tls (verify-full by default, see driverTlsOptions).
 */
export function openSourceDatabase(source: DatabaseSourceConfig, configPath = `sources[${source.name}].connection`): Knex {
  const c = source.connection;
  // Verified TLS unless the config says otherwise (a loopback host defaults to none).
  const ssl = driverTlsOptions(c.host, c.tls, configPath, c.ssl);
  registerSecret(c.password);
  const inUtc = (sql: string) => (conn: RawConn, done: Done) => conn.query(sql, (err) => done(err, conn));
  const common = { useNullAsDefault: true, compileSqlOnError: false, acquireConnectionTimeout: 30_000 };
  if (source.client === 'postgres') {
    return knex({
      ...common,
      client: 'pg',
      connection: {
        host: c.host,
        port: c.port ?? 5432,
        user: c.user,
        password: c.password,
        database: c.database,
        ssl,
        connectionTimeoutMillis: 10_000,
        application_name: 'salesflow-ingest',
      },
      pool: { min: 0, max: 2, afterCreate: inUtc("SET TIME ZONE 'UTC'") },
    });
  }
  return knex({
    ...common,
    client: 'mysql2',
    // mysql2 options knex's typing does not list (jsonStrings) pass through as they are.
    connection: {
      host: c.host,
      port: c.port ?? 3306,
      user: c.user,
      password: c.password,
      database: c.database,
      ssl: ssl || undefined,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      // JSON as its text (MySQL's JSON type and MariaDB's JSON alias alike), not a parsed object.
      jsonStrings: true,
      connectTimeout: 10_000,
    } as Knex.MySql2ConnectionConfig,
    pool: { min: 0, max: 2, afterCreate: inUtc("SET time_zone = '+00:00'") },
  });
}
