import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WarehouseTable } from '@salesflow/config';
import type { Knex } from 'knex';
import { dialectOf } from './open-warehouse';
import { runSql } from './run-sql';
import { resolveSqlDir } from './sql-dir';
import { splitSqlStatements } from './split-sql-statements';

/** One named query of sql/analytical_queries.sql. */
export interface AnalyticalQuery {
  readonly name: string;
  readonly sql: string;
}

/** One query's answer. */
export interface AnalyticalQueryResult {
  readonly name: string;
  readonly rows: readonly Record<string, unknown>[];
  /** Why the query was not run: the tables and columns it reads that the star schema does not have. */
  readonly skipped?: string;
}

const NAME_LINE = /^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/**
 * Splits a queries file on its "-- name: <query>" lines; each section must hold exactly one
 * statement. Text before the first name line is a header and ignored.
 */
export function parseNamedQueries(text: string): AnalyticalQuery[] {
  const sections: { name: string; lines: string[] }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = NAME_LINE.exec(line.trim());
    if (m) sections.push({ name: m[1]!, lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  const seen = new Set<string>();
  return sections.map(({ name, lines }) => {
    if (seen.has(name)) throw new Error(`query "${name}" is named twice`);
    seen.add(name);
    // The statements are written to run on every dialect, so the neutral (sqlite) lexer splits them.
    const statements = splitSqlStatements(lines.join('\n'), 'sqlite');
    if (statements.length !== 1) throw new Error(`query "${name}" must hold exactly one statement, found ${statements.length}`);
    return Object.freeze({ name, sql: statements[0]! });
  });
}

/** The queries of <sql dir>/analytical_queries.sql. */
export async function readAnalyticalQueries(sqlDir = resolveSqlDir()): Promise<AnalyticalQuery[]> {
  return parseNamedQueries(await readFile(path.join(sqlDir, 'analytical_queries.sql'), 'utf8'));
}

/**
 * The table.column pairs a query reads that the model lacks (a table missing entirely counts as
 * its columns). A query names its tables with an alias (FROM fact_sales f, JOIN dim_product p)
 * and its columns through them (p.category); that is what is read here.
 */
export function missingColumnsOf(sql: string, tables: readonly WarehouseTable[]): string[] {
  const aliases = new Map<string, string>();
  for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)\s+(?:AS\s+)?([A-Za-z_]\w*)/gi)) aliases.set(m[2]!.toLowerCase(), m[1]!);
  const columns = new Map(tables.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))]));
  const missing = new Set<string>();
  for (const m of sql.matchAll(/\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b/g)) {
    const table = aliases.get(m[1]!.toLowerCase());
    if (table && !columns.get(table.toLowerCase())?.has(m[2]!.toLowerCase())) missing.add(`${table}.${m[2]}`);
  }
  return [...missing];
}

/**
 * Runs every query of sql/analytical_queries.sql against the warehouse, in file order. On a knex
 * from openWarehouse, numbers come back as numbers on every dialect. Given the star schema's
 * model, a query reading a table or column the model does not have (a mapping of the team's own)
 * is not run: it comes back with skipped saying what it needs.
 */
export async function runAnalyticalQueries(db: Knex, opts: { sqlDir?: string; tables?: readonly WarehouseTable[] } = {}): Promise<AnalyticalQueryResult[]> {
  const dialect = dialectOf(db);
  const out: AnalyticalQueryResult[] = [];
  for (const q of await readAnalyticalQueries(opts.sqlDir)) {
    const missing = opts.tables ? missingColumnsOf(q.sql, opts.tables) : [];
    if (missing.length) out.push(Object.freeze({ name: q.name, rows: [], skipped: `needs ${missing.join(', ')}` }));
    else out.push(Object.freeze({ name: q.name, rows: await runSql(db, dialect, q.sql) }));
  }
  return out;
}
