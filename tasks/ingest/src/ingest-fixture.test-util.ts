/** Helpers for the ingest tests: a step context on a temp lake, raw partitions as rows, temp databases. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knex, type Knex } from 'knex';
import { batchToObjects } from '@salesflow/batches';
import { readConfig, validateConfig, type PipelineConfig } from '@salesflow/config';
import { Lake, LocalStorage, type Manifest } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import type { StepContext } from '@salesflow/step';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');

/** The demo config with these sources added (validated, defaults applied). */
export function configWith(sources: readonly unknown[]): PipelineConfig {
  const base = JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config)) as { sources: unknown[] };
  base.sources.push(...sources);
  const r = validateConfig(base);
  if (!r.config) throw new Error(r.errors.join('\n'));
  return r.config;
}

export function tempLake(): Lake {
  return new Lake(new LocalStorage(mkdtempSync(path.join(os.tmpdir(), 'ingest-lake-'))), { rowGroupSize: 1000 });
}

export function stepContext(config: PipelineConfig, lake: Lake, source: string, ds: string, fullRefresh = false): StepContext {
  return { step: 'ingest', ds, runId: `test__${ds}__${randomBytes(3).toString('hex')}`, source, fullRefresh, config, lake, log: createLogger({ level: 'error' }) };
}

/** Every row of a committed raw partition, and its manifest. */
export async function readRaw(lake: Lake, dataset: string, ds: string): Promise<{ rows: Record<string, unknown>[]; manifest: Manifest }> {
  const manifest = await lake.requireManifest(dataset, ds, 'ingest');
  const rows: Record<string, unknown>[] = [];
  for await (const b of lake.readManifestBatches(manifest)) rows.push(...batchToObjects(b));
  return { rows, manifest };
}

export const SERVERS = {
  postgres: process.env.WAREHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.WAREHOUSE_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test',
} as const;

/** A database of its own on the test server (ingest_<random>), dropped by drop(). */
export interface TempDatabase {
  readonly client: 'postgres' | 'mysql';
  readonly name: string;
  /** Connection section of a database source pointing at it. */
  readonly connection: { host: string; port?: number; user: string; password?: string; database: string };
  /** knex on the temp database, to create tables and change rows. */
  readonly db: Knex;
  drop(): Promise<void>;
}

export async function createTempDatabase(client: 'postgres' | 'mysql'): Promise<TempDatabase> {
  const u = new URL(SERVERS[client]);
  const name = `ingest_${randomBytes(5).toString('hex')}`;
  const conn = {
    host: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  const driver = client === 'postgres' ? 'pg' : 'mysql2';
  const admin = knex({ client: driver, connection: { ...conn, database: u.pathname.slice(1) || undefined }, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const db = knex({
    client: driver,
    connection: { ...conn, database: name, ...(client === 'mysql' ? { timezone: 'Z', multipleStatements: true } : {}) },
    pool: { min: 0, max: 2, afterCreate: (c: { query(s: string, cb: (e: Error | null) => void): void }, done: (e: Error | null, c: unknown) => void) => c.query(client === 'postgres' ? "SET TIME ZONE 'UTC'" : "SET time_zone = '+00:00'", (e) => done(e, c)) },
  });
  return {
    client,
    name,
    connection: { ...conn, database: name },
    db,
    async drop() {
      await db.destroy();
      const a = knex({ client: driver, connection: { ...conn, database: u.pathname.slice(1) || undefined }, pool: { min: 0, max: 1 } });
      try {
        await a.raw(client === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await a.destroy();
      }
    },
  };
}
