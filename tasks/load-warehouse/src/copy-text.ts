import type { SqlValue } from './to-sql-value';

/**
 * One value in PostgreSQL's COPY text format: \N for null, t/f for booleans, and backslash,
 * tab, newline and carriage return escaped (the only bytes the format gives a meaning to).
 */
export function copyTextValue(v: SqlValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** A row of COPY text: values separated by tabs, ended by a newline. */
export function copyTextRow(values: readonly SqlValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i ? '\t' : '') + copyTextValue(values[i]!);
  return line + '\n';
}
