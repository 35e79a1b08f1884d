import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
 * Runs every query of sql/analytical_queries.sql against the warehouse, in file order. On a knex
 * from openWarehouse, numbers come back as numbers on every dialect.
 */
export async function runAnalyticalQueries(db: Knex, opts: { sqlDir?: string } = {}): Promise<AnalyticalQueryResult[]> {
  const dialect = dialectOf(db);
  const out: AnalyticalQueryResult[] = [];
  for (const q of await readAnalyticalQueries(opts.sqlDir)) {
    out.push(Object.freeze({ name: q.name, rows: await runSql(db, dialect, q.sql) }));
  }
  return out;
}
