import { createHash } from 'node:crypto';
import knex from 'knex';

/** Row count and an order-independent content hash per warehouse table (SQLite file), load times left out. */
export async function digestSqliteWarehouse(file: string): Promise<Record<string, { rows: number; content: string }>> {
  const db = knex({ client: 'better-sqlite3', connection: { filename: file, options: { readonly: true } } as any, useNullAsDefault: true });
  try {
    const tables = (await db.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`)) as { name: string }[];
    const out: Record<string, { rows: number; content: string }> = {};
    for (const { name } of tables) {
      const rows = (await db(name).select('*')) as Record<string, unknown>[];
      const hashes = rows.map((r) => {
        const kept = Object.keys(r)
          // Load times and run ids differ between equal runs; committed_at is when the lake partition was written.
          .filter((k) => !/loaded_at|_run_id|updated_at|committed_at/.test(k))
          .sort()
          .map((k) => [k, r[k]]);
        return createHash('sha1').update(JSON.stringify(kept)).digest('hex');
      });
      out[name] = { rows: rows.length, content: createHash('sha256').update(hashes.sort().join('\n')).digest('hex').slice(0, 16) };
    }
    return out;
  } finally {
    await db.destroy();
  }
}
