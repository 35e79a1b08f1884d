/**
 * The real warehouse servers the integration suites load into, and a throwaway database on each.
 *
 *   - PostgreSQL at WAREHOUSE_TEST_PG_URL    (default postgres://postgres@127.0.0.1:5432/test)
 *   - MySQL/MariaDB at WAREHOUSE_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test)
 * The user must be allowed to create databases. An unreachable server FAILS the suite: these
 * tests are never skipped.
 */
import { randomBytes } from 'node:crypto';
import type { WarehouseConfig } from '@salesflow/config';
import type { Knex } from 'knex';
import { openWarehouse } from '../../tasks/load-warehouse/src';

export const SERVERS = [
  { client: 'postgres' as const, url: process.env.WAREHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test', envVar: 'WAREHOUSE_TEST_PG_URL' },
  { client: 'mysql' as const, url: process.env.WAREHOUSE_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test', envVar: 'WAREHOUSE_TEST_MYSQL_URL' },
];

export type Server = (typeof SERVERS)[number];

/** The warehouse section for a server URL, pointed at another database. */
export function warehouseOf(client: 'postgres' | 'mysql', url: string, database?: string, batchSize = 500): WarehouseConfig {
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
    batch_size: batchSize,
    mysql_bulk: 'load_data',
  };
}

/** A database with a random name on the server; drop() removes it (and closes db). */
export async function createTestDatabase(server: Server, prefix: string, batchSize = 500): Promise<{ name: string; warehouse: WarehouseConfig; db: Knex; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = openWarehouse(warehouseOf(server.client, server.url));
  try {
    await admin.raw('SELECT 1');
  } catch (e) {
    await admin.destroy();
    throw new Error(`${server.client} at ${new URL(server.url).host} is not reachable (${(e as Error).message}); start it or point ${server.envVar} at one. These tests never skip.`);
  }
  await admin.raw(`CREATE DATABASE ${name}`);
  const warehouse = warehouseOf(server.client, server.url, name, batchSize);
  const db = openWarehouse(warehouse);
  return {
    name,
    warehouse,
    db,
    async drop() {
      await db.destroy();
      await admin.raw(server.client === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
      await admin.destroy();
    },
  };
}
