import type { MeasureExpression } from '@salesflow/config';

/**
 * An exact decimal: the value m / 10^s, with m an integer. Money needs it: 1.15 * 3 in binary
 * floating point is 3.4499999999999997, which rounds to 3.44 where SQL's DECIMAL (and the sales
 * system) give 3.45. m stays a JS number while it is a safe integer, which covers any amount of
 * money the pipeline sees; past 2^53 the value is rounded to 15 significant digits.
 */
interface Dec {
  readonly m: number;
  readonly s: number;
}

const POW10 = Array.from({ length: 40 }, (_, i) => 10 ** i);

function safe(m: number, s: number): Dec {
  if (Number.isSafeInteger(m)) return { m, s };
  // Too many digits: drop scale until it fits (a float result, rounded; never reached by money).
  let v = m;
  let scale = s;
  while (!Number.isSafeInteger(v) && scale > 0) {
    v = Math.round(v / 10);
    scale--;
  }
  return { m: Math.round(v), s: scale };
}

function align(a: Dec, s: number): number {
  return a.m * POW10[s - a.s]!;
}

function add(a: Dec, b: Dec, sign: 1 | -1): Dec {
  const s = Math.max(a.s, b.s);
  return safe(align(a, s) + sign * align(b, s), s);
}

/** Rounds half away from zero to `digits` places, in integers. */
export function roundDec(a: Dec, digits: number): Dec {
  if (a.s <= digits) return a;
  const div = POW10[a.s - digits]!;
  const abs = Math.abs(a.m);
  const r = abs % div;
  let q = (abs - r) / div;
  if (r * 2 >= div) q++;
  return { m: a.m < 0 ? -q : q, s: digits };
}

/** a / b with 12 more places than the operands (a float division rounded there: ratios are not money). */
function divide(a: Dec, b: Dec): Dec | null {
  if (b.m === 0) return null;
  const target = Math.min(Math.max(a.s, b.s) + 12, 20);
  return safe(Math.round((a.m / b.m) * POW10[target - a.s + b.s]!), target);
}

/** The exact decimal of a number known to have at most `scale` places (standardize rounded it), or of its shortest text. */
export function decOf(value: number, scale?: number): Dec {
  if (scale !== undefined && scale < POW10.length) {
    const m = Math.round(value * POW10[scale]!);
    if (Number.isSafeInteger(m)) return { m, s: scale };
  }
  const text = String(value);
  if (/e/i.test(text)) return safe(Math.round(value * 1e9), 9);
  const dot = text.indexOf('.');
  return dot < 0 ? { m: value, s: 0 } : { m: Number(text.replace('.', '')), s: text.length - dot - 1 };
}

/** Reads one source value of a row. */
export type ValueReader = (row: number) => unknown;

/**
 * Compiles a parsed expression into a function of a row: `read(column)` gives a reader of the
 * source column, `scaleOf(column)` its declared decimal places (0 for integers, undefined when
 * unknown). The result is rounded to `scale` places and returned as the nearest float (what
 * standardize writes for the same decimal text), or null when an operand is null.
 */
export function compileMeasure(
  expr: MeasureExpression,
  scale: number,
  read: (column: string) => ValueReader,
  scaleOf: (column: string) => number | undefined,
): (row: number) => number | null {
  const compile = (e: MeasureExpression): ((row: number) => Dec | null) => {
    switch (e.op) {
      case 'num': {
        const dot = e.text.indexOf('.');
        const d: Dec = dot < 0 ? { m: Number(e.text), s: 0 } : { m: Number(e.text.replace('.', '')), s: e.text.length - dot - 1 };
        return () => d;
      }
      case 'col': {
        const r = read(e.name);
        const s = scaleOf(e.name);
        return (row) => {
          const v = r(row);
          if (v === null || v === undefined) return null;
          return decOf(typeof v === 'bigint' ? Number(v) : Number(v), s);
        };
      }
      case 'neg': {
        const a = compile(e.arg);
        return (row) => {
          const x = a(row);
          return x && { m: -x.m, s: x.s };
        };
      }
      case 'round': {
        const a = compile(e.arg);
        return (row) => {
          const x = a(row);
          return x && roundDec(x, e.digits);
        };
      }
      case 'coalesce': {
        const args = e.args.map(compile);
        return (row) => {
          for (const a of args) {
            const x = a(row);
            if (x) return x;
          }
          return null;
        };
      }
      default: {
        const l = compile(e.left);
        const r = compile(e.right);
        const op = e.op;
        return (row) => {
          const a = l(row);
          if (!a) return null;
          const b = r(row);
          if (!b) return null;
          if (op === '+') return add(a, b, 1);
          if (op === '-') return add(a, b, -1);
          if (op === '*') return safe(a.m * b.m, a.s + b.s);
          return divide(a, b);
        };
      }
    }
  };
  const run = compile(expr);
  return (row) => {
    const x = run(row);
    if (!x) return null;
    const r = roundDec(x, scale);
    return r.m / POW10[r.s]!;
  };
}
