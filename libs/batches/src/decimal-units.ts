/**
 * Decimals as scaled integers ("units"): 12.34 at scale 2 is 1234. Every conversion here works on
 * decimal digits, never through a binary float, and rounds the one way the whole pipeline rounds:
 * half away from zero (1.005 -> 1.01, -0.125 -> -0.13), as SQL ROUND and a DECIMAL(p, s) column do.
 */

const PLAIN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_EXPONENT = 308;
const POW10 = Array.from({ length: 39 }, (_, k) => 10n ** BigInt(k));

/** 10^k as a bigint. */
export function pow10(k: number): bigint {
  return POW10[k] ?? 10n ** BigInt(k);
}

/**
 * The units of number text at `scale` ("12.345" at 2 -> 1235n; "-1e-3" at 2 -> 0n), rounding half
 * away from zero. Undefined when the text is not a plain number ([+-]digits[.digits][e[+-]digits]),
 * or its exponent is beyond a double's (|e| > 308): such text is not a number any source means, and
 * 10^e of a huge e would take unbounded memory.
 */
export function parseDecimalUnits(text: string, scale: number): bigint | undefined {
  const m = PLAIN.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', exp] = m;
  if (whole === '' && frac === '') return undefined;
  if (exp && Math.abs(Number(exp)) > MAX_EXPONENT) return undefined;
  // The digits as one integer with `shift` decimal places to move: value = digits * 10^-places.
  const digits = (whole + frac).replace(/^0+(?=\d)/, '') || '0';
  const places = frac.length - (exp ? Number(exp) : 0);
  let units: bigint;
  if (places <= scale) units = BigInt(digits) * pow10(scale - places);
  else {
    const drop = places - scale;
    const big = BigInt(digits);
    const div = pow10(drop);
    units = big / div;
    if ((big % div) * 2n >= div) units += 1n;
  }
  return sign === '-' ? -units : units;
}

/** The units of a JS number at `scale`, from its shortest decimal form (0.1 + 0.2 -> "0.30000000000000004" -> 30n). */
export function unitsOfNumber(value: number, scale: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  return parseDecimalUnits(String(value), scale)!;
}

/**
 * The units of a lake value of a decimal column at `scale`: digit text (the form decimal columns
 * read as), a number (its shortest decimal form) or a bigint (a whole number). Undefined for text
 * that is not a number.
 */
export function decimalUnitsOf(value: unknown, scale: number): bigint | undefined {
  if (typeof value === 'string') return parseDecimalUnits(value.trim(), scale);
  if (typeof value === 'number') return Number.isFinite(value) ? unitsOfNumber(value, scale) : undefined;
  if (typeof value === 'bigint') return value * pow10(scale);
  return undefined;
}

/** Units at scale `from` brought to scale `to` (rounding half away from zero when it drops digits). */
export function rescaleUnits(units: bigint, from: number, to: number): bigint {
  if (to >= from) return units * pow10(to - from);
  const div = pow10(from - to);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  let q = abs / div;
  if ((abs % div) * 2n >= div) q += 1n;
  return neg ? -q : q;
}

/** Fixed-scale digit text of units: 1234n at 2 -> "12.34", -5n at 2 -> "-0.05", 7n at 0 -> "7". */
export function formatDecimalUnits(units: bigint | number, scale: number): string {
  if (typeof units === 'number' && Number.isSafeInteger(units)) {
    // The common case, without a bigint: safe integers divide exactly into whole and fraction.
    const neg = units < 0;
    const abs = neg ? -units : units;
    if (scale === 0) return String(units);
    const p = 10 ** scale;
    const whole = Math.floor(abs / p);
    const frac = abs - whole * p;
    return `${neg ? '-' : ''}${whole}.${String(frac).padStart(scale, '0')}`;
  }
  const u = BigInt(units);
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(scale + 1, '0');
  const body = scale > 0 ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return neg ? `-${body}` : body;
}

/** Shortest digit text of units (trailing fraction zeros dropped): 1250n at 2 -> "12.5", 0n -> "0"; what String() gives for a number of that value. */
export function shortestDecimalText(units: bigint, scale: number): string {
  const fixed = formatDecimalUnits(units, scale);
  if (scale === 0) return fixed;
  const trimmed = fixed.replace(/\.?0+$/, '');
  return trimmed === '-0' || trimmed === '' ? '0' : trimmed;
}

/** Whether units fit DECIMAL(precision, s): fewer than `precision` digits. */
export function fitsPrecision(units: bigint, precision: number): boolean {
  const limit = pow10(precision);
  return units < limit && units > -limit;
}
