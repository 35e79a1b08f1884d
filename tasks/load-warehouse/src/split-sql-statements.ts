import type { WarehouseDialect } from './warehouse-tables';

/**
 * Splits a SQL script into statements at top-level semicolons, dropping comments and empty
 * statements. Semicolons inside quoted strings ('...'), quoted identifiers ("..." and MySQL
 * `...`), comments (--, /* *\/ and MySQL #) and PostgreSQL dollar quotes ($tag$...$tag$) do not
 * split. Backslash escapes inside strings count only for MySQL. There is no DELIMITER support:
 * our scripts hold no procedure bodies.
 */
export function splitSqlStatements(script: string, dialect: WarehouseDialect): string[] {
  const out: string[] = [];
  let current = '';
  let i = 0;
  const n = script.length;
  const flush = () => {
    const s = current.trim();
    if (s) out.push(s);
    current = '';
  };
  while (i < n) {
    const c = script[i]!;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      i = skipLineComment(script, i);
      current += '\n';
    } else if (c === '#' && dialect === 'mysql') {
      i = skipLineComment(script, i);
      current += '\n';
    } else if (c === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated /* comment at offset ${i}`);
      i = end + 2;
      current += ' ';
    } else if (c === "'" || c === '"' || (c === '`' && dialect === 'mysql')) {
      const end = endOfQuoted(script, i, c, dialect === 'mysql' && c !== '`');
      current += script.slice(i, end);
      i = end;
    } else if (c === '$' && dialect === 'postgres' && /^\$[A-Za-z_]*\$/.test(script.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i, i + 64))![0];
      const end = script.indexOf(tag, i + tag.length);
      if (end < 0) throw new Error(`unterminated ${tag} quote at offset ${i}`);
      current += script.slice(i, end + tag.length);
      i = end + tag.length;
    } else if (c === ';') {
      flush();
      i++;
    } else {
      current += c;
      i++;
    }
  }
  flush();
  return out;
}

function skipLineComment(script: string, i: number): number {
  const end = script.indexOf('\n', i);
  return end < 0 ? script.length : end + 1;
}

/** Offset just past the closing quote; a doubled quote is an escaped one. */
function endOfQuoted(script: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < script.length) {
    const c = script[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (script[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  throw new Error(`unterminated ${quote} quote at offset ${start}`);
}
