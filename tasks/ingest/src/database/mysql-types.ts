import { parseCommonTimestamp, type SourceColumn } from './pg-types';

/** mysql2 column metadata (a FieldPacket) as far as the mapping needs it. */
export interface MysqlField {
  readonly name: string;
  readonly columnType?: number;
  readonly type?: number;
  readonly flags?: number;
  readonly characterSet?: number;
  readonly columnLength?: number;
}

const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  BIT: 16,
  JSON: 245,
  NEWDECIMAL: 246,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
} as const;
const NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k.toLowerCase()]));
const UNSIGNED = 32;
const BINARY_CHARSET = 63;

const DT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?)?$/;

/** Milliseconds (UTC) of MySQL DATE/DATETIME/TIMESTAMP text; the session runs in UTC. */
export function parseMysqlDateTime(text: string): number {
  const fast = text.length >= 19 && !text.startsWith('0000') ? parseCommonTimestamp(text) : undefined;
  if (fast !== undefined) return fast;
  const m = DT.exec(text);
  if (!m || m[1] === '0000') throw new Error(`date/time "${text}" cannot be stored in the lake (zero dates are not supported)`);
  const ms = m[7] ? Math.trunc(Number(m[7]) * 1000) : 0;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), ms);
}

const hex = (v: unknown) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v);

/**
 * The lake kind of a MySQL/MariaDB column: TINYINT..INT -> int32 (INT UNSIGNED -> int64);
 * BIGINT -> int64 (BIGINT UNSIGNED -> string, it may not fit); FLOAT/DOUBLE -> float64;
 * DATE; DATETIME and TIMESTAMP -> timestamp (UTC, milliseconds); DECIMAL -> string with its exact
 * digits; JSON -> JSON text; binary strings and BIT -> "\x..." hex; the rest -> string.
 * The connection returns DECIMAL, BIGINT and dates as text, so no value passes through a double.
 */
export function mysqlColumn(f: MysqlField): SourceColumn {
  const t = f.columnType ?? f.type ?? T.STRING;
  const unsigned = ((f.flags ?? 0) & UNSIGNED) !== 0;
  const sourceType = `${NAMES[t] ?? `type ${t}`}${unsigned ? ' unsigned' : ''}`;
  const name = f.name;
  switch (t) {
    case T.TINY:
    case T.SHORT:
    case T.INT24:
    case T.YEAR:
      return { name, kind: 'int32', sourceType };
    case T.LONG:
      return unsigned ? { name, kind: 'int64', sourceType, convert: (v) => BigInt(v as number) } : { name, kind: 'int32', sourceType };
    case T.LONGLONG:
      return unsigned ? { name, kind: 'string', sourceType, convert: String } : { name, kind: 'int64', sourceType, convert: (v) => BigInt(v as string) };
    case T.FLOAT:
    case T.DOUBLE:
      return { name, kind: 'float64', sourceType };
    case T.DATE:
    case T.NEWDATE:
      return { name, kind: 'date', sourceType, convert: (v) => parseMysqlDateTime(v as string) };
    case T.DATETIME:
    case T.TIMESTAMP:
      return { name, kind: 'timestamp', sourceType, convert: (v) => parseMysqlDateTime(v as string) };
    case T.BIT:
      return { name, kind: 'string', sourceType, convert: hex };
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB:
    case T.VAR_STRING:
    case T.STRING:
      return f.characterSet === BINARY_CHARSET ? { name, kind: 'string', sourceType: `${sourceType} binary`, convert: hex } : { name, kind: 'string', sourceType };
    default:
      return { name, kind: 'string', sourceType, convert: (v) => (typeof v === 'string' || Buffer.isBuffer(v) ? hex(v) : String(v)) };
  }
}
