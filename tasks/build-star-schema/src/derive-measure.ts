import { parseDecimalUnits, type UnitsReader } from '@salesflow/batches';
import type { MeasureExpression } from '@salesflow/config';

/**
 * Derived measures compute in exact decimal: every value is m / 10^s with m an integer. Money
 * needs it: 1.15 * 3 in binary floating point is 3.4499999999999997, which rounds to 3.44 where
 * SQL's DECIMAL (and the sales system) give 3.45.
 *
 * m is a JS number while it is a safe integer (the fast path, every amount of money the
 * pipeline normally sees) and a bigint past 2^53, so no digit is ever lost: an operation on
 * safe integers whose float result is a safe integer is exact (IEEE 754 rounds an exactly
 * representable result to itself, and rounding is monotonic, so a true result past 2^53 never
 * comes out safe); any other result is computed again in bigint.
 *
 * Rounding: `round(x, d)` and the stored result round half away from zero, as SQL's ROUND on
 * DECIMAL does. Division is exact to 12 more places than its operands have (at most 20, at least
 * the dividend's), rounded half away from zero there; a zero divisor gives null.
 */

/** An exact decimal m / 10^s: m a safe integer, or b when it is not (then m is unused). */
interface Dec {
  m: number;
  b: bigint | null;
  s: number;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact as doubles up to 10^22
const MAX_DIVISION_SCALE = 20;

function pow10n(k: number): bigint {
  return 10n ** BigInt(k);
}

function bigOf(d: Dec): bigint {
  return d.b ?? BigInt(d.m);
}

function setNum(d: Dec, m: number, s: number): true {
  d.m = m;
  d.b = null;
  d.s = s;
  return true;
}

/** Sets d to b / 10^s, as a number when b is a safe integer. */
function setBig(d: Dec, b: bigint, s: number): true {
  if (b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(-Number.MAX_SAFE_INTEGER)) return setNum(d, Number(b), s);
  d.b = b;
  d.s = s;
  return true;
}

/** m * 10^k exactly, as a number when that is safe, else undefined. */
function scaleUp(m: number, k: number): number | undefined {
  if (k === 0) return m;
  if (k >= POW10.length) return m === 0 ? 0 : undefined;
  const v = m * POW10[k]!;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** n / d rounded half away from zero, in bigint (d not 0). */
function divRoundBig(n: bigint, d: bigint): bigint {
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  let q = an / ad;
  if ((an % ad) * 2n >= ad) q++;
  return negative ? -q : q;
}

/** Rounds a half away from zero to `digits` places into out (out may be a). */
function roundInto(out: Dec, a: Dec, digits: number): true {
  if (a.s <= digits) return a.b === null ? setNum(out, a.m, a.s) : setBig(out, a.b, a.s);
  if (a.b === null && a.s - digits < POW10.length) {
    const div = POW10[a.s - digits]!;
    const abs = Math.abs(a.m);
    const r = abs % div;
    let q = (abs - r) / div;
    if (r * 2 >= div) q++;
    return setNum(out, a.m < 0 ? -q : q, digits);
  }
  return setBig(out, divRoundBig(bigOf(a), pow10n(a.s - digits)), digits);
}

/** Rounds half away from zero to `digits` places. */
export function roundDec(a: { readonly m: number; readonly s: number }, digits: number): { m: number; s: number } {
  const out: Dec = { m: 0, b: null, s: 0 };
  roundInto(out, { m: a.m, b: null, s: a.s }, digits);
  if (out.b !== null) throw new RangeError(`roundDec: ${a.m} is not a safe integer`);
  return { m: out.m, s: out.s };
}

/**
 * Sets d to the exact decimal of a JS number: rounded to `scale` places when the column declares
 * them (as its DECIMAL(p, scale) column stores it), else the decimal its shortest text spells
 * (`0.1` is 1 / 10, not the binary fraction nearest to it; `1e+25` is 10^25 exactly).
 */
function setFromNumber(d: Dec, value: number, scale: number | undefined): boolean {
  if (!Number.isFinite(value)) return false;
  if (scale !== undefined && scale < POW10.length) {
    const m = Math.round(value * POW10[scale]!);
    if (Number.isSafeInteger(m)) return setNum(d, m, scale);
  }
  const units = scale === undefined ? undefined : parseDecimalUnits(String(value), scale);
  return units === undefined ? setFromText(d, String(value)) : setBig(d, units, scale!);
}

/** Sets d to the exact value of number text ([+-]digits[.digits][e[+-]digits]); false when it is not one. */
function setFromText(d: Dec, text: string): boolean {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return false;
  const digits = BigInt(`${m[1]}${m[2]}${m[3] ?? ''}` || '0');
  const places = (m[3] ?? '').length - Number(m[4] ?? 0);
  return places >= 0 ? setBig(d, digits, places) : setBig(d, digits * pow10n(-places), 0);
}

/** Reads one source value of a row. */
export type ValueReader = (row: number) => unknown;

/**
 * One node of a compiled expression: eval(row) computes its value into the node (a Dec) and
 * says whether there is one (false: null). Nodes are made once per expression and overwritten
 * row after row, so evaluating allocates nothing on the fast path (an object per operation per
 * row kept the garbage collector busy for seconds over 10 M facts).
 */
interface Node extends Dec {
  eval(row: number): boolean;
}

function node(evaluate: (self: Node, row: number) => boolean): Node {
  const n: Node = { m: 0, b: null, s: 0, eval: (row) => evaluate(n, row) };
  return n;
}

function copyInto(out: Dec, a: Dec): true {
  out.m = a.m;
  out.b = a.b;
  out.s = a.s;
  return true;
}

function addInto(out: Dec, l: Dec, r: Dec, sign: 1 | -1): true {
  const s = Math.max(l.s, r.s);
  if (l.b === null && r.b === null) {
    const a = scaleUp(l.m, s - l.s);
    const b = scaleUp(r.m, s - r.s);
    if (a !== undefined && b !== undefined) {
      const v = sign === 1 ? a + b : a - b;
      if (Number.isSafeInteger(v)) return setNum(out, v, s);
    }
  }
  const a = bigOf(l) * pow10n(s - l.s);
  const b = bigOf(r) * pow10n(s - r.s);
  return setBig(out, sign === 1 ? a + b : a - b, s);
}

function multiplyInto(out: Dec, l: Dec, r: Dec): true {
  if (l.b === null && r.b === null) {
    const v = l.m * r.m;
    if (Number.isSafeInteger(v)) return setNum(out, v, l.s + r.s);
  }
  return setBig(out, bigOf(l) * bigOf(r), l.s + r.s);
}

function divideInto(out: Dec, l: Dec, r: Dec): boolean {
  if (r.b === null && r.m === 0) return false;
  const target = Math.max(Math.min(Math.max(l.s, r.s) + 12, MAX_DIVISION_SCALE), l.s);
  // The quotient at `target` places is (l.m * 10^(target - l.s + r.s)) / r.m, rounded.
  const k = target - l.s + r.s;
  if (l.b === null && r.b === null) {
    const n = scaleUp(l.m, k);
    const d = r.m;
    if (n !== undefined && Math.abs(n) + Math.abs(d) <= Number.MAX_SAFE_INTEGER) {
      const sign = Math.sign(n) * Math.sign(d);
      const an = Math.abs(n);
      const ad = Math.abs(d);
      let q = Math.floor(an / ad);
      // The float quotient may be one off either way; the remainder settles it exactly.
      let rem = an - q * ad;
      if (rem < 0) {
        q--;
        rem += ad;
      } else if (rem >= ad) {
        q++;
        rem -= ad;
      }
      if (rem * 2 >= ad) q++;
      return setNum(out, sign < 0 ? -q : q, target);
    }
  }
  return setBig(out, divRoundBig(bigOf(l) * pow10n(k), bigOf(r)), target);
}

/**
 * Compiles a parsed expression into a function of a row: `read(column)` gives a reader of the
 * source column, `scaleOf(column)` its declared decimal places (0 for integers, undefined when
 * unknown). The result is rounded half away from zero to `scale` places and returned as its
 * scaled integer (12.34 at scale 2 is 1234, what a DECIMAL(p, scale) column stores): a number
 * while it is a safe integer, else a bigint; null when an operand is null.
 */
export function compileMeasure(
  expr: MeasureExpression,
  scale: number,
  read: (column: string) => ValueReader,
  scaleOf: (column: string) => number | undefined,
  /** A decimal column's scaled integers and their scale, read without text; undefined for other columns. */
  readUnits: (column: string) => { readonly read: UnitsReader; readonly scale: number } | undefined = () => undefined,
): (row: number) => number | bigint | null {
  const compile = (e: MeasureExpression): Node => {
    switch (e.op) {
      case 'num': {
        const dot = e.text.indexOf('.');
        const digits = BigInt(dot < 0 ? e.text : e.text.slice(0, dot) + e.text.slice(dot + 1));
        const constant = node(() => true);
        setBig(constant, digits, dot < 0 ? 0 : e.text.length - dot - 1);
        return constant;
      }
      case 'col': {
        const units = readUnits(e.name);
        if (units) {
          const { read: u, scale: us } = units;
          return node((self, row) => {
            const v = u(row);
            if (v === null) return false;
            return typeof v === 'bigint' ? setBig(self, v, us) : setNum(self, v, us);
          });
        }
        const r = read(e.name);
        const sc = scaleOf(e.name);
        return node((self, row) => {
          const v = r(row);
          if (v === null || v === undefined) return false;
          if (typeof v === 'bigint') return setBig(self, v, 0);
          if (typeof v === 'string') {
            // A decimal column read as text: its digits are the units, parsed without a float.
            const units = sc === undefined ? undefined : parseDecimalUnits(v.trim(), sc);
            return units === undefined ? setFromText(self, v) : setBig(self, units, sc!);
          }
          return setFromNumber(self, Number(v), sc);
        });
      }
      case 'neg': {
        const a = compile(e.arg);
        return node((self, row) => {
          if (!a.eval(row)) return false;
          return a.b === null ? setNum(self, -a.m, a.s) : setBig(self, -a.b, a.s);
        });
      }
      case 'round': {
        const a = compile(e.arg);
        const digits = e.digits;
        return node((self, row) => a.eval(row) && roundInto(self, a, digits));
      }
      case 'coalesce': {
        const args = e.args.map(compile);
        return node((self, row) => {
          for (const a of args) if (a.eval(row)) return copyInto(self, a);
          return false;
        });
      }
      default: {
        const l = compile(e.left);
        const r = compile(e.right);
        const op = e.op;
        return node((self, row) => {
          if (!l.eval(row) || !r.eval(row)) return false;
          if (op === '+') return addInto(self, l, r, 1);
          if (op === '-') return addInto(self, l, r, -1);
          if (op === '*') return multiplyInto(self, l, r);
          return divideInto(self, l, r);
        });
      }
    }
  };
  const root = compile(expr);
  const result: Dec = { m: 0, b: null, s: 0 };
  return (row) => {
    if (!root.eval(row)) return null;
    roundInto(result, root, scale);
    if (result.b === null) {
      const v = scaleUp(result.m, scale - result.s);
      if (v !== undefined) return v;
    }
    const b = bigOf(result) * pow10n(scale - result.s);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(-Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };
}
