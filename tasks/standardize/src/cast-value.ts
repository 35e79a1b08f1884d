import { DEFAULT_DECIMAL_PRECISION, fitsPrecision, parseDecimalUnits, pow10, shortestDecimalText, unitsOfNumber, type ColumnKind } from '@salesflow/batches';
import type { ColumnSpecConfig, ColumnType, ControlCharacterPolicy } from '@salesflow/config';
import { normalizerOf } from './normalize-value';
import { compileDateFormat, type DateParts } from './parse-date-format';
import { zonedWallTimeToUtc } from './zoned-time';

/** A cast either gives the typed value (null for empty) or the reason it failed. */
export type CastResult = { readonly ok: true; readonly value: unknown; readonly stripped?: true } | { readonly ok: false; readonly reason: string };

/** A column spec as the caster reads it: the config's, where everything but type, required and scale may be absent. */
export type CastSpec = Pick<ColumnSpecConfig, 'type' | 'required' | 'scale'> &
  Partial<Omit<ColumnSpecConfig, 'type' | 'required' | 'scale'>> & {
    /** The entity's control_characters policy, for text columns (default reject). */
    readonly control_characters?: ControlCharacterPolicy;
  };

/** Names of the C0 control characters, for reasons: U+0000 (NUL). */
const C0_NAMES = 'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(' ');

/** Whether a character code is a C0 control the policy covers: U+0000-U+001F but tab, LF and CR. */
export const isControlCharacter = (c: number) => c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d;

/** Text with the control_characters policy applied: the text (stripped), or why the row is rejected. */
function applyControlPolicy(text: string, policy: ControlCharacterPolicy): CastResult {
  if (policy === 'keep') return ok(text);
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    if (isControlCharacter(text.charCodeAt(i))) {
      at = i;
      break;
    }
  }
  if (at < 0) return ok(text);
  if (policy === 'strip') {
    let out = '';
    for (let i = 0; i < text.length; i++) if (!isControlCharacter(text.charCodeAt(i))) out += text[i];
    return { ok: true, value: out, stripped: true };
  }
  const c = text.charCodeAt(at);
  return fail(
    `holds the control character U+${c.toString(16).toUpperCase().padStart(4, '0')} (${C0_NAMES[c]}) at character ${at + 1}; set the entity's control_characters to strip to remove such characters, or to keep, or clean the source`,
  );
}

/** The Arrow kind each declared type is stored as. Decimals are Decimal128 scaled integers of their precision and scale. */
export const KIND_OF_TYPE: Readonly<Record<ColumnType, ColumnKind>> = Object.freeze({
  string: 'string',
  int: 'int32',
  bigint: 'int64',
  float: 'float64',
  decimal: 'decimal',
  bool: 'bool',
  date: 'date',
  timestamp: 'timestamp',
});

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TRUE = ['true', 't', 'yes', 'y', '1'];
const FALSE = ['false', 'f', 'no', 'n', '0'];
const CURRENCY = /^(?:[$€£¥]|USD|EUR|GBP)\s*|\s*(?:[$€£¥]|USD|EUR|GBP)$/gi;

const ok = (value: unknown): CastResult => ({ ok: true, value });
const fail = (reason: string): CastResult => ({ ok: false, reason });

/**
 * Years every warehouse we load can store: MySQL's DATE starts at 1000 and all stop at 9999, so a
 * year 0000 or 20261 would pass here and break the load (or be silently zeroed) later.
 */
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;
const storable = (ms: number) => Number.isFinite(ms) && ms >= Date.UTC(MIN_YEAR, 0, 1) && ms < Date.UTC(MAX_YEAR + 1, 0, 1);
const OUT_OF_WAREHOUSE_RANGE = (text: string) => `"${text}" is outside the years ${MIN_YEAR} to ${MAX_YEAR} that the warehouse can store`;

/** Days in a month of a year, for validating dates without trusting Date's rollover. */
function validYmd(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(utc(y, m + 1, 0)).getUTCDate();
}

/** Date.UTC without its quirk of reading years 0-99 as 1900-1999. */
function utc(y: number, m: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(Date.UTC(2000, m - 1, d, h, mi, s, ms));
  t.setUTCFullYear(y, m - 1, d);
  return t.getTime();
}

/** Reason the time-of-day or zone of parsed parts is invalid, or undefined. */
function timeError(p: DateParts): string | undefined {
  if (p.h > 23 || p.mi > 59 || p.s > 59) return 'has an invalid time of day';
  const z = p.zone ? /([+-])(\d{2}):?(\d{2})/.exec(p.zone) : null;
  if (z && (+z[2]! > 14 || +z[3]! > 59)) return 'has an invalid UTC offset';
  return undefined;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written in s[at, at + n) when every character is a digit, else -1. */
function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Milliseconds of "YYYY-MM-DDTHH:MM:SSZ", the commonest timestamp text, read without a regex or
 * a Date (the general path cost ~1.5 us per value, a fifth of a 10 M-row standardize). Undefined
 * when the text is not exactly that shape or not a valid time: the general path then decides and
 * gives the reason.
 */
function fastIsoUtc(s: string): number | undefined {
  if (s.length !== 20) return undefined;
  const t = s.charCodeAt(10);
  const z = s.charCodeAt(19);
  if ((t !== 84 && t !== 116 && t !== 32) || (z !== 90 && z !== 122)) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const y = digitsAt(s, 0, 4);
  const m = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  if (y < MIN_YEAR || m < 1 || m > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > MONTH_DAYS[m - 1]! + (leap ? 1 : 0)) return undefined;
  return daysFromCivil(y, m, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000;
}

function isoParts(s: string): DateParts | undefined {
  const m = TIMESTAMP.exec(s) ?? DATE.exec(s);
  if (!m) return undefined;
  return { y: +m[1]!, m: +m[2]!, d: +m[3]!, h: +(m[4] ?? 0), mi: +(m[5] ?? 0), s: +(m[6] ?? 0), ms: Math.round(Number(m[7] ?? 0) * 1000), zone: m[8] };
}

/** The number in money or number text: "$1,234.50", "(12.00)", "-€5", "1.234,50" with a decimal comma. */
function numberOfText(text: string, decimalComma: boolean): number {
  const plain = plainNumberText(text, decimalComma);
  return plain === undefined ? NaN : Number(plain);
}

/** Money or number text as plain number text ("(1.234,50)" with a decimal comma -> "-1234.50"), or undefined. */
function plainNumberText(text: string, decimalComma: boolean): string | undefined {
  // Most values are plain numbers: skip the money handling for them.
  if (!decimalComma && NUMBER.test(text)) return text;
  let negative = false;
  let s = text;
  // A sign may come before the currency symbol ("-$5.00").
  if (/^[+-]\s*(?:[$€£¥]|USD|EUR|GBP)/i.test(s)) {
    negative = s[0] === '-';
    s = s.slice(1).trim();
  }
  s = s.replace(CURRENCY, '');
  if (/^\(.*\)$/.test(s)) {
    negative = !negative;
    s = s.slice(1, -1).trim();
  }
  s = s.replace(CURRENCY, '');
  if (decimalComma) s = s.replace(/[.\s](?=\d{3}(\D|$))/g, '').replace(',', '.');
  // Thousands separators go; a comma that does not separate groups of three stays and fails.
  else s = s.replace(/,(?=\d{3}(\D|$))/g, '');
  if (!NUMBER.test(s)) return undefined;
  if (!negative) return s;
  return s.startsWith('-') ? s.slice(1) : `-${s.replace(/^\+/, '')}`;
}

/**
 * Compiles the cast of one declared column: normalizers, then the cast to its type with its
 * format hints, then range and allowed-value checks. Strings are trimmed and empty strings become
 * null; a null on a required column fails. Values that are already typed (from Parquet sources)
 * pass through the same checks. The returned function is pure.
 */
export function makeCaster(spec: CastSpec): (raw: unknown) => CastResult {
  const normalize = normalizerOf(spec.normalize ?? [], spec.phone_country_code ?? '1');
  const parseFormat = spec.format ? compileDateFormat(spec.format) : undefined;
  const trueSet = new Set((spec.true_values ?? TRUE).map((v) => v.toLowerCase()));
  const falseSet = new Set((spec.false_values ?? FALSE).map((v) => v.toLowerCase()));
  const allowed = spec.allowed ? new Set(spec.allowed.map(String)) : undefined;
  const scale = spec.scale ?? 2;
  const precision = spec.precision ?? DEFAULT_DECIMAL_PRECISION;
  const datePartsOf = (s: string): DateParts | undefined => (parseFormat ? parseFormat(s) ?? isoParts(s) : isoParts(s));
  const formatHint = spec.format ? `${spec.format} or ISO 8601` : undefined;
  const controls = spec.control_characters ?? 'reject';

  const cast = (raw: unknown, v: unknown): CastResult => {
    switch (spec.type) {
      case 'string':
        // U+FFFD is what a decoder leaves for bytes that are not valid in the file's encoding:
        // keeping the row would silently store mangled text.
        if (typeof v === 'string' && v.includes('\uFFFD')) {
          return fail('holds bytes that are not valid in the source encoding (decoded as U+FFFD); set the entity csv.encoding (e.g. latin1) to the file\'s real encoding');
        }
        if (typeof v === 'string') return applyControlPolicy(v, controls);
        return ok(typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
      case 'int': {
        const n = typeof v === 'number' || typeof v === 'bigint' ? Number(v) : INT.test(String(v)) ? Number(v) : NaN;
        if (!Number.isInteger(n)) return fail(`"${String(raw)}" is not an integer`);
        if (n < -2147483648 || n > 2147483647) return fail(`${String(raw)} is out of range for int (32-bit); declare the column bigint`);
        return ok(n);
      }
      case 'bigint': {
        if (typeof v === 'bigint') return ok(v);
        if (typeof v === 'number' && Number.isInteger(v)) return ok(BigInt(v));
        if (typeof v === 'string' && INT.test(v)) {
          const b = BigInt(v);
          if (b < -(2n ** 63n) || b >= 2n ** 63n) return fail(`${v} is out of range for bigint (64-bit)`);
          return ok(b);
        }
        return fail(`"${String(raw)}" is not an integer`);
      }
      case 'float': {
        const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : numberOfText(String(v), spec.decimal_comma ?? false);
        if (!Number.isFinite(n)) return fail(`"${String(raw)}" is not a number`);
        return ok(n);
      }
      case 'decimal': {
        // Digits to a scaled integer, rounded half away from zero, with no binary float between.
        let units: bigint | undefined;
        if (typeof v === 'number') units = Number.isFinite(v) ? unitsOfNumber(v, scale) : undefined;
        else if (typeof v === 'bigint') units = v * pow10(scale);
        else {
          const text = plainNumberText(String(v), spec.decimal_comma ?? false);
          units = text === undefined ? undefined : parseDecimalUnits(text, scale);
        }
        if (units === undefined) return fail(`"${String(raw)}" is not a number`);
        if (!fitsPrecision(units, precision)) return fail(`${String(raw)} is out of range for decimal(${precision},${scale})`);
        // The shortest digit text is what String() gives a number of that value, so row hashes keep their text.
        return ok(shortestDecimalText(units, scale));
      }
      case 'bool': {
        if (typeof v === 'boolean') return ok(v);
        const s = String(v).toLowerCase();
        if (trueSet.has(s)) return ok(true);
        if (falseSet.has(s)) return ok(false);
        return fail(`"${String(raw)}" is not a boolean (${[...trueSet].join('/')} or ${[...falseSet].join('/')})`);
      }
      case 'date': {
        if (typeof v === 'number') return storable(v) ? ok(Math.floor(v / 86_400_000) * 86_400_000) : fail(OUT_OF_WAREHOUSE_RANGE(new Date(v).toISOString()));
        const p = datePartsOf(String(v));
        if (!p || !validYmd(p.y, p.m, p.d) || timeError(p)) return fail(`"${String(raw)}" is not a date (${formatHint ?? 'YYYY-MM-DD'})`);
        if (p.y < MIN_YEAR || p.y > MAX_YEAR) return fail(OUT_OF_WAREHOUSE_RANGE(String(raw)));
        return ok(utc(p.y, p.m, p.d));
      }
      case 'timestamp': {
        if (typeof v === 'number') return storable(v) ? ok(v) : fail(OUT_OF_WAREHOUSE_RANGE(String(v)));
        if (v instanceof Date) return storable(v.getTime()) ? ok(v.getTime()) : fail(OUT_OF_WAREHOUSE_RANGE(String(v)));
        const s = String(v);
        if (!parseFormat) {
          const fast = fastIsoUtc(s);
          if (fast !== undefined) return ok(fast);
        }
        const p = datePartsOf(s);
        if (!p || !validYmd(p.y, p.m, p.d)) return fail(`"${s}" is not a timestamp (${formatHint ?? 'ISO 8601, e.g. 2026-11-26T13:45:00Z'})`);
        if (p.y < MIN_YEAR || p.y > MAX_YEAR) return fail(OUT_OF_WAREHOUSE_RANGE(s));
        const bad = timeError(p);
        if (bad) return fail(`"${s}" ${bad}`);
        let t = utc(p.y, p.m, p.d, p.h, p.mi, p.s, p.ms);
        if (p.zone && p.zone.toUpperCase() !== 'Z') {
          const z = /([+-])(\d{2}):?(\d{2})/.exec(p.zone)!;
          t -= (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!) * 60_000;
        } else if (!p.zone && spec.timezone && spec.timezone !== 'UTC') {
          // No offset in the text: the wall time is in the column's declared zone.
          t = zonedWallTimeToUtc(t, spec.timezone);
        }
        return ok(t);
      }
    }
  };

  return (raw) => {
    let v = raw;
    if (typeof v === 'string') {
      v = v.trim();
      if (v === '') v = null;
      else if (normalize) {
        const n = normalize(v as string);
        if (!n.ok) return n;
        v = n.value;
      }
    }
    if (v === null || v === undefined) return spec.required ? fail('required value is missing') : ok(null);
    const res = cast(raw, v);
    if (!res.ok || res.value === null) return res;
    if (spec.min !== undefined || spec.max !== undefined) {
      const n = Number(res.value);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return fail(`${String(res.value)} is out of the allowed range ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`);
      }
    }
    if (allowed && !allowed.has(String(res.value))) return fail(`"${String(raw)}" is not one of the allowed values (${[...allowed].join(', ')})`);
    return res;
  };
}

/** Casts one raw value to its declared type (see makeCaster; compile once per column in hot loops). */
export function castValue(raw: unknown, spec: CastSpec): CastResult {
  return makeCaster(spec)(raw);
}
