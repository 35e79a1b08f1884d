import { splitSqlPlaceholders, type DatabaseEntityConfig } from '@salesflow/config';
import { UsageError } from '@salesflow/errors';
import { paramRef, type ParamType } from './session-params';

export type SourceDialect = 'postgres' | 'mysql';

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The type each interval placeholder is bound as. */
const PLACEHOLDER_TYPES: Readonly<Record<string, ParamType>> = { ds: 'date', data_interval_start: 'timestamp', data_interval_end: 'timestamp' };

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

/** SQL of one read. */
export interface SelectSql {
  readonly sql: string;
  /** The same SELECT returning no rows: its result columns describe the entity. */
  readonly describeSql: string;
}

/** The cursor range of an incremental read; each bound is a session parameter (cursor_from, cursor_to). */
export interface CursorRange {
  /** `cursor >= cursor_from`, compared as this type; absent: no lower bound. */
  readonly fromType?: ParamType;
  /** `cursor < cursor_to` (a UTC timestamp: the data interval's end; with no lower bound, null cursors too); absent: no upper bound. */
  readonly to?: boolean;
}

/** SQL text with each `{ds}`, `{data_interval_start}`, `{data_interval_end}` replaced by its session parameter. */
function withParams(dialect: SourceDialect, sql: string, key: string): string {
  return splitSqlPlaceholders(sql, dialect)
    .map((p) => {
      if ('text' in p) return p.text;
      const type = PLACEHOLDER_TYPES[p.placeholder];
      if (!type) throw new UsageError(`${key}: unknown placeholder {${p.placeholder}}`, { fix: `use ${Object.keys(PLACEHOLDER_TYPES).map((n) => `{${n}}`).join(', ')}` });
      return paramRef(dialect, p.placeholder, type);
    })
    .join('');
}

/**
 * The SELECT that reads an entity: a table (all or the listed columns, with its `where`) or a
 * named query wrapped as a derived table, with the cursor range when incremental. Placeholders
 * and bounds become references to session parameters (see bindSessionParams), so no value is
 * ever part of the SQL text. Pure.
 */
export function buildSelect(dialect: SourceDialect, entity: DatabaseEntityConfig, configKey: string, range: CursorRange = {}): SelectSql {
  const q = (name: string, key: string) => quoteIdentifier(dialect, name, `${configKey}.${key}`);
  let from: string;
  let cols = '*';
  const conditions: string[] = [];
  if (entity.table) {
    from = (entity.schema ? `${q(entity.schema, 'schema')}.` : '') + q(entity.table, 'table');
    if (entity.columns) cols = entity.columns.map((c, i) => q(c, `columns.${i}`)).join(', ');
    if (entity.where) conditions.push(`(${withParams(dialect, entity.where, `${configKey}.where`)})`);
  } else {
    // A trailing semicolon would end the statement inside the parentheses.
    from = `(${withParams(dialect, entity.query!.trim().replace(/;\s*$/, ''), `${configKey}.query`)}) AS src`;
  }
  const base = `SELECT ${cols} FROM ${from}`;
  const filtered = base + (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '');
  if (entity.cursor_column) {
    const cursor = q(entity.cursor_column, 'cursor_column');
    if (range.fromType) conditions.push(`${cursor} >= ${paramRef(dialect, 'cursor_from', range.fromType)}`);
    // Without a lower bound (a full refresh) rows with no cursor value are history too, as before windows existed.
    const before = `${cursor} < ${paramRef(dialect, 'cursor_to', 'timestamp')}`;
    if (range.to) conditions.push(range.fromType ? before : `(${before} OR ${cursor} IS NULL)`);
  }
  return { sql: base + (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''), describeSql: `${filtered} LIMIT 0` };
}
