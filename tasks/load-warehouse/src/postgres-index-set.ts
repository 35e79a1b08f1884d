import type { Knex } from 'knex';

/**
 * A PostgreSQL table's indexes and key constraints as DDL, read from the catalog: the statements
 * that drop them and those that create them again exactly as they were (names, definitions,
 * NOT VALID and DEFERRABLE included). Check and exclusion constraints are left in place.
 */
export interface PostgresIndexSet {
  /** Foreign keys first, then primary key and unique constraints, then the other indexes. */
  readonly drop: readonly string[];
  /** Primary key and unique constraints, then the other indexes, then the foreign keys (validated in one query each). */
  readonly create: readonly string[];
  /** Tables the foreign keys reference (regclass text): dropping a foreign key locks them too. */
  readonly referenced: readonly string[];
}

interface ConstraintRow {
  readonly name: string;
  readonly contype: 'f' | 'p' | 'u';
  readonly def: string;
  readonly referenced: string | null;
}

/**
 * Reads the index set of a table. A primary key or unique constraint another table's foreign key
 * depends on stays in place (dropping it would need CASCADE), and so does its index.
 */
export async function readPostgresIndexSet(db: Knex | Knex.Transaction, table: string): Promise<PostgresIndexSet> {
  const rel = (await db.raw('SELECT to_regclass(?)::oid AS oid, quote_ident(?) AS quoted', [table, table])).rows[0] as { oid: number | null; quoted: string };
  if (rel.oid === null) throw new Error(`no table ${table}`);
  const constraints = (
    await db.raw(
      `SELECT quote_ident(c.conname) AS name, c.contype, pg_get_constraintdef(c.oid) AS def, c.confrelid::regclass::text AS referenced
         FROM pg_constraint c
        WHERE c.conrelid = ? AND c.contype IN ('f', 'p', 'u')
          AND NOT (c.contype IN ('p', 'u') AND EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid AND r.conrelid <> c.conrelid))
        ORDER BY c.conname`,
      [rel.oid],
    )
  ).rows as ConstraintRow[];
  const indexes = (
    await db.raw(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i
        WHERE i.indrelid = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
        ORDER BY 1`,
      [rel.oid],
    )
  ).rows as { name: string; def: string }[];
  const alter = `ALTER TABLE ${rel.quoted}`;
  const fks = constraints.filter((c) => c.contype === 'f');
  const keys = constraints.filter((c) => c.contype !== 'f');
  return Object.freeze({
    drop: [...fks, ...keys].map((c) => `${alter} DROP CONSTRAINT ${c.name}`).concat(indexes.map((i) => `DROP INDEX ${i.name}`)),
    create: [...keys.map((c) => `${alter} ADD CONSTRAINT ${c.name} ${c.def}`), ...indexes.map((i) => i.def), ...fks.map((c) => `${alter} ADD CONSTRAINT ${c.name} ${c.def}`)],
    referenced: [...new Set(fks.map((c) => c.referenced!))],
  });
}
