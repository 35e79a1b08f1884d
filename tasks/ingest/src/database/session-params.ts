import type { SourceDialect } from './build-select';

/** How a bound value compares in SQL: a date, a UTC timestamp, or an integer. */
export type ParamType = 'date' | 'timestamp' | 'int';

/** One value a read refers to by name: set in the session through a bind parameter, never written into SQL text. */
export interface SessionParam {
  readonly name: string;
  readonly type: ParamType;
  /** YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS.sss" (UTC) or decimal digits. */
  readonly value: string;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
const PG_TYPE: Record<ParamType, string> = { date: 'date', timestamp: 'timestamptz', int: 'int8' };
const MYSQL_TYPE: Record<ParamType, string> = { date: 'DATE', timestamp: 'DATETIME(6)', int: 'SIGNED' };

/**
 * The SQL expression that reads a session parameter, typed: PostgreSQL's
 * `current_setting('salesflow.<name>')::timestamptz`, MySQL's `CAST(@salesflow_<name> AS DATETIME(6))`.
 * Sessions run in UTC, so timestamps compare as UTC with both timestamp kinds. Pure.
 */
export function paramRef(dialect: SourceDialect, name: string, type: ParamType): string {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a session parameter name`);
  return dialect === 'postgres' ? `current_setting('salesflow.${name}')::${PG_TYPE[type]}` : `CAST(@salesflow_${name} AS ${MYSQL_TYPE[type]})`;
}

interface PgParamConn {
  query(q: { text: string; values: unknown[] }): Promise<unknown>;
}
interface MysqlParamConn {
  execute(opts: { sql: string; values: unknown[] }, cb: (err: Error | null) => void): unknown;
}

/**
 * Stores the values in the session as bind parameters of one prepared statement:
 * `SELECT set_config($1, $2, false), ...` (PostgreSQL; COPY itself takes no parameters) or
 * `SET @salesflow_x = ?, ...` (MySQL, a server-side prepared statement). The read that follows
 * on the same connection refers to them with paramRef. COPY and the streamed MySQL result both
 * run as plain SQL text, which thus never holds a value.
 */
export async function bindSessionParams(conn: unknown, dialect: SourceDialect, params: readonly SessionParam[]): Promise<void> {
  if (!params.length) return;
  for (const p of params) if (!NAME.test(p.name)) throw new Error(`"${p.name}" is not a session parameter name`);
  if (dialect === 'postgres') {
    const text = `SELECT ${params.map((_p, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, false)`).join(', ')}`;
    await (conn as PgParamConn).query({ text, values: params.flatMap((p) => [`salesflow.${p.name}`, p.value]) });
    return;
  }
  const sql = `SET ${params.map((p) => `@salesflow_${p.name} = ?`).join(', ')}`;
  await new Promise<void>((resolve, reject) => (conn as MysqlParamConn).execute({ sql, values: params.map((p) => p.value) }, (err) => (err ? reject(err) : resolve())));
}
