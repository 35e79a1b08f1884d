/** The run values a database source's SQL can refer to; each is sent as a bound parameter, never as SQL text. */
export const SQL_PLACEHOLDERS = Object.freeze(['ds', 'data_interval_start', 'data_interval_end'] as const);

export type SqlPlaceholder = (typeof SQL_PLACEHOLDERS)[number];

/** A piece of SQL text, or a `{name}` placeholder found outside string literals, quoted identifiers and comments. */
export type SqlPart = { readonly text: string } | { readonly placeholder: string; readonly offset: number };

const NAME = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/**
 * Splits SQL into text and `{name}` placeholders. Braces inside string literals ('...', and
 * PostgreSQL's E'...' and $tag$...$tag$), quoted identifiers ("..." and MySQL's `...`) and
 * comments are text: `'{1,2}'` stays an array literal. MySQL strings take backslash escapes,
 * PostgreSQL's standard strings do not. Pure.
 */
export function splitSqlPlaceholders(sql: string, dialect: 'postgres' | 'mysql'): SqlPart[] {
  const parts: SqlPart[] = [];
  let from = 0;
  let i = 0;
  const skipQuoted = (quote: string, backslash: boolean) => {
    i++;
    while (i < sql.length) {
      const c = sql[i]!;
      if (backslash && c === '\\') i += 2;
      else if (c === quote && sql[i + 1] === quote) i += 2;
      else if (c === quote) return void i++;
      else i++;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      const escaped = dialect === 'mysql' || /[eE]$/.test(sql.slice(Math.max(0, i - 1), i));
      skipQuoted("'", escaped);
    } else if (c === '"') skipQuoted('"', dialect === 'mysql');
    else if (c === '`' && dialect === 'mysql') skipQuoted('`', false);
    else if ((c === '-' && sql[i + 1] === '-') || (c === '#' && dialect === 'mysql')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '$' && dialect === 'postgres' && /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.test(sql.slice(i)) && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
    } else if (c === '{' && NAME.test(sql.slice(i))) {
      const m = NAME.exec(sql.slice(i))!;
      if (i > from) parts.push({ text: sql.slice(from, i) });
      parts.push({ placeholder: m[1]!, offset: i });
      i += m[0].length;
      from = i;
    } else i++;
  }
  if (from < sql.length) parts.push({ text: sql.slice(from) });
  return parts;
}

/** Problems with the placeholders of one SQL text, as `key: message`; empty when every placeholder is known. Pure. */
export function checkSqlPlaceholders(sql: string, dialect: 'postgres' | 'mysql', key: string): string[] {
  const known = new Set<string>(SQL_PLACEHOLDERS);
  return splitSqlPlaceholders(sql, dialect)
    .filter((p): p is { placeholder: string; offset: number } => 'placeholder' in p && !known.has(p.placeholder))
    .map((p) => `${key}: unknown placeholder {${p.placeholder}} at character ${p.offset + 1}; use one of ${SQL_PLACEHOLDERS.map((n) => `{${n}}`).join(', ')} (they are sent as bound parameters), or put the braces inside a string literal`);
}
