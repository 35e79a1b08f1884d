import type { DatabaseEntityConfig } from '@salesflow/config';
import { UsageError } from '@salesflow/errors';

export type SourceDialect = 'postgres' | 'mysql';

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A quoted identifier. Config already allows plain identifiers only; quoting anyway keeps mixed
 * case and reserved words (a column named "order") working, and the check here makes the
 * function safe on its own. Throws naming the config key otherwise.
 */
export function quoteIdentifier(dialect: SourceDialect, name: string, configKey: string): string {
  if (!PLAIN.test(name)) {
    throw new UsageError(`${configKey}: "${name}" is not a plain identifier`, { fix: 'use letters, digits and underscores only, not starting with a digit' });
  }
  return dialect === 'postgres' ? `"${name}"` : `\`${name}\``;
}

/** SQL and bind placeholder style of one read. */
export interface SelectSql {
  readonly sql: string;
  /** The same SELECT returning no rows: its result columns describe the entity. */
  readonly describeSql: string;
}

/**
 * The SELECT that reads an entity: a table (all or the listed columns) or a named query wrapped
 * as a derived table, with `cursor >= <bind>` when incremental. The bind is $1 (PostgreSQL) or ?
 * (MySQL). Pure.
 */
export function buildSelect(dialect: SourceDialect, entity: DatabaseEntityConfig, configKey: string, incremental: boolean): SelectSql {
  const q = (name: string, key: string) => quoteIdentifier(dialect, name, `${configKey}.${key}`);
  let from: string;
  let cols = '*';
  if (entity.table) {
    from = (entity.schema ? `${q(entity.schema, 'schema')}.` : '') + q(entity.table, 'table');
    if (entity.columns) cols = entity.columns.map((c, i) => q(c, `columns.${i}`)).join(', ');
  } else {
    // A trailing semicolon would end the statement inside the parentheses.
    from = `(${entity.query!.trim().replace(/;\s*$/, '')}) AS src`;
  }
  const base = `SELECT ${cols} FROM ${from}`;
  const where = incremental && entity.cursor_column ? ` WHERE ${q(entity.cursor_column, 'cursor_column')} >= ${dialect === 'postgres' ? '$1' : '?'}` : '';
  return { sql: base + where, describeSql: `${base} LIMIT 0` };
}
