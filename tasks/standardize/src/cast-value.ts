import { roundDecimal, type ColumnKind } from '@salesflow/batches';
import type { ColumnSpecConfig, ColumnType } from '@salesflow/config';

/** A cast either gives the typed value (null for empty) or the reason it failed. */
export type CastResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** The Arrow kind each declared type is stored as. Decimals are float64 rounded to their scale. */
export const KIND_OF_TYPE: Readonly<Record<ColumnType, ColumnKind>> = Object.freeze({
  string: 'string',
  int: 'int32',
  bigint: 'int64',
  float: 'float64',
  decimal: 'float64',
  bool: 'bool',
  date: 'date',
  timestamp: 'timestamp',
});

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

const ok = (value: unknown): CastResult => ({ ok: true, value });
const fail = (reason: string): CastResult => ({ ok: false, reason });

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

/** Time-of-day and zone parts of a TIMESTAMP match, or the reason they are invalid. */
function timeError(m: RegExpExecArray): string | undefined {
  if (+(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59 || +(m[6] ?? 0) > 59) return 'has an invalid time of day';
  const z = m[8] ? /([+-])(\d{2}):?(\d{2})/.exec(m[8]) : null;
  if (z && (+z[2]! > 14 || +z[3]! > 59)) return 'has an invalid UTC offset';
  return undefined;
}

/**
 * Casts one raw value to its declared type. Strings are trimmed and empty strings become null;
 * a null on a required column fails. Values that are already typed (from Parquet sources) pass
 * through the same checks. Pure.
 */
export function castValue(raw: unknown, spec: Pick<ColumnSpecConfig, 'type' | 'required' | 'scale'>): CastResult {
  let v = raw;
  if (typeof v === 'string') {
    v = v.trim();
    if (v === '') v = null;
  }
  if (v === null || v === undefined) return spec.required ? fail('required value is missing') : ok(null);
  switch (spec.type) {
    case 'string':
      return ok(typeof v === 'string' ? v : typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
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
    case 'float':
    case 'decimal': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'bigint') n = Number(v);
      else {
        // Money as text ("$1,234.50") is common in extracts; currency symbols and thousands separators go.
        const s = String(v).replace(/^[$€£]\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
        n = NUMBER.test(s) ? Number(s) : NaN;
      }
      if (!Number.isFinite(n)) return fail(`"${String(raw)}" is not a number`);
      if (spec.type === 'float') return ok(n);
      return ok(roundDecimal(n, spec.scale ?? 2));
    }
    case 'bool': {
      const s = String(v).toLowerCase();
      if (typeof v === 'boolean') return ok(v);
      if (TRUE.has(s)) return ok(true);
      if (FALSE.has(s)) return ok(false);
      return fail(`"${String(raw)}" is not a boolean (true/false, yes/no, 1/0)`);
    }
    case 'date': {
      if (typeof v === 'number') return ok(Math.floor(v / 86_400_000) * 86_400_000);
      const m = DATE.exec(String(v)) ?? TIMESTAMP.exec(String(v));
      if (!m || !validYmd(+m[1]!, +m[2]!, +m[3]!) || (m.length > 4 && timeError(m))) return fail(`"${String(raw)}" is not a date (YYYY-MM-DD)`);
      return ok(utc(+m[1]!, +m[2]!, +m[3]!));
    }
    case 'timestamp': {
      if (typeof v === 'number') return ok(v);
      if (v instanceof Date) return ok(v.getTime());
      const s = String(v);
      const m = TIMESTAMP.exec(s) ?? DATE.exec(s);
      if (!m || !validYmd(+m[1]!, +m[2]!, +m[3]!)) return fail(`"${s}" is not a timestamp (ISO 8601, e.g. 2026-11-26T13:45:00Z)`);
      const bad = m.length > 4 ? timeError(m) : undefined;
      if (bad) return fail(`"${s}" ${bad}`);
      const [h, mi, se] = [+(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)];
      const ms = Math.round(Number(m[7] ?? 0) * 1000);
      let t = utc(+m[1]!, +m[2]!, +m[3]!, h, mi, se, ms);
      const zone = m[8];
      // No zone means UTC: sources are expected to deliver UTC unless they say otherwise.
      if (zone && zone.toUpperCase() !== 'Z') {
        const z = /([+-])(\d{2}):?(\d{2})/.exec(zone)!;
        t -= (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!) * 60_000;
      }
      return ok(t);
    }
  }
}
