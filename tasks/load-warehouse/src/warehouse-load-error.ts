import { ExitCode, PipelineError } from '@salesflow/errors';
import type { WarehouseDialect } from './warehouse-tables';

/**
 * Loading a table into the warehouse failed and the transaction was rolled back: the warehouse is
 * as it was before the run. A rejected row (constraint or data error) exits 4, since re-running
 * the same partition fails the same way; anything else (connection lost, deadlock) exits 1 so
 * Airflow retries.
 */
export class WarehouseLoadError extends PipelineError {
  /** The driver's error code (SQLITE_CONSTRAINT_FOREIGNKEY, SQLSTATE 23503, ER_DUP_ENTRY...). */
  readonly code?: string;

  constructor(table: string, ds: string, dialect: WarehouseDialect, cause: unknown) {
    const rejected = isRejectedRow(cause);
    const code = errorCodeOf(cause);
    super(`Loading ${table} into the ${dialect} warehouse failed, nothing was changed: ${driverMessage(cause)}`, {
      exitCode: rejected ? ExitCode.badInput : ExitCode.failed,
      context: { table, ds, code },
      fix: rejected
        ? `the curated partition for --ds ${ds} breaks a warehouse constraint; check the check-quality report, ` +
          `re-run build-star-schema for that ds, then load again`
        : undefined,
      cause,
    });
    this.code = code;
  }
}

/** Whether a driver error says a row broke a constraint or a column's type, rather than a transient failure. */
export function isRejectedRow(err: unknown): boolean {
  const e = err as { code?: unknown; sqlState?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') return true;
  // PostgreSQL SQLSTATE in code; mysql2 puts it in sqlState. Class 22 = data exception, 23 = integrity.
  const state = typeof e?.sqlState === 'string' ? e.sqlState : /^[0-9A-Z]{5}$/.test(code) ? code : '';
  return state.startsWith('22') || state.startsWith('23');
}

function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The driver's own message, without the SQL knex puts in front of it (an INSERT of hundreds of
 * rows): knex sets message to "<sql> - <driver message>" and our generated SQL holds no " - ".
 */
export function driverMessage(err: unknown): string {
  const e = err as { message?: unknown; sqlMessage?: unknown; detail?: unknown };
  if (typeof e?.sqlMessage === 'string') return e.sqlMessage;
  let msg = typeof e?.message === 'string' ? e.message : String(err);
  const sep = msg.indexOf(' - ');
  if (/^\s*(insert|delete|update|select)\b/i.test(msg) && sep >= 0) msg = msg.slice(sep + 3);
  if (typeof e?.detail === 'string') msg += ` (${e.detail})`;
  return msg.length > 1000 ? `${msg.slice(0, 1000)}...` : msg;
}
