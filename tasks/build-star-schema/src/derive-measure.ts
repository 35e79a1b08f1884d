import { parseDecimalUnits, type UnitsReader } from '@salesflow/batches';
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
 * One node of a compiled expression: eval(row) computes its value into m / 10^s and says whether
 * there is one (false: null). Nodes are made once per expression and overwritten row after row,
 * so evaluating allocates nothing (an object per operation per row kept the garbage collector
 * busy for seconds over 10 M facts).
 */
interface Node {
  m: number;
  s: number;
  eval(row: number): boolean;
}

/** Sets node to m / 10^s, dropping scale while m is not a safe integer (as safe() does). */
function setSafe(node: Node, m: number, s: number): true {
  if (Number.isSafeInteger(m)) {
    node.m = m;
    node.s = s;
    return true;
  }
  const d = safe(m, s);
  node.m = d.m;
  node.s = d.s;
  return true;
}

/**
 * Compiles a parsed expression into a function of a row: `read(column)` gives a reader of the
 * source column, `scaleOf(column)` its declared decimal places (0 for integers, undefined when
 * unknown). The result is rounded half away from zero to `scale` places and returned as its
 * scaled integer (12.34 at scale 2 is 1234, what a DECIMAL(p, scale) column stores), or null when
 * an operand is null.
 */
export function compileMeasure(
  expr: MeasureExpression,
  scale: number,
  read: (column: string) => ValueReader,
  scaleOf: (column: string) => number | undefined,
  /** A decimal column's scaled integers and their scale, read without text; undefined for other columns. */
  readUnits: (column: string) => { readonly read: UnitsReader; readonly scale: number } | undefined = () => undefined,
): (row: number) => number | null {
  const compile = (e: MeasureExpression): Node => {
    switch (e.op) {
      case 'num': {
        const dot = e.text.indexOf('.');
        const d: Dec = dot < 0 ? { m: Number(e.text), s: 0 } : { m: Number(e.text.replace('.', '')), s: e.text.length - dot - 1 };
        return { m: d.m, s: d.s, eval: () => true };
      }
      case 'col': {
        const units = readUnits(e.name);
        if (units) {
          const { read: u, scale: us } = units;
          const node: Node = {
            m: 0,
            s: 0,
            eval(row) {
              const v = u(row);
              if (v === null) return false;
              return setSafe(node, typeof v === 'number' ? v : Number(v), us);
            },
          };
          return node;
        }
        const r = read(e.name);
        const sc = scaleOf(e.name);
        const pow = sc !== undefined && sc < POW10.length ? POW10[sc]! : undefined;
        const node: Node = {
          m: 0,
          s: 0,
          eval(row) {
            const v = r(row);
            if (v === null || v === undefined) return false;
            if (typeof v === 'string' && sc !== undefined) {
              // A decimal column reads as its fixed-scale digits: the digits are the units.
              const units = v.length <= 16 ? Math.round(Number(v) * pow!) : Number(parseDecimalUnits(v, sc));
              if (Number.isSafeInteger(units)) {
                node.m = units;
                node.s = sc;
                return true;
              }
            }
            const x = typeof v === 'bigint' ? Number(v) : Number(v);
            if (pow !== undefined) {
              const m = Math.round(x * pow);
              if (Number.isSafeInteger(m)) {
                node.m = m;
                node.s = sc!;
                return true;
              }
            }
            const d = decOf(x, sc);
            node.m = d.m;
            node.s = d.s;
            return true;
          },
        };
        return node;
      }
      case 'neg': {
        const a = compile(e.arg);
        const node: Node = {
          m: 0,
          s: 0,
          eval(row) {
            if (!a.eval(row)) return false;
            node.m = -a.m;
            node.s = a.s;
            return true;
          },
        };
        return node;
      }
      case 'round': {
        const a = compile(e.arg);
        const digits = e.digits;
        const node: Node = {
          m: 0,
          s: 0,
          eval(row) {
            if (!a.eval(row)) return false;
            const d = roundDec(a, digits);
            node.m = d.m;
            node.s = d.s;
            return true;
          },
        };
        return node;
      }
      case 'coalesce': {
        const args = e.args.map(compile);
        const node: Node = {
          m: 0,
          s: 0,
          eval(row) {
            for (const a of args) {
              if (a.eval(row)) {
                node.m = a.m;
                node.s = a.s;
                return true;
              }
            }
            return false;
          },
        };
        return node;
      }
      default: {
        const l = compile(e.left);
        const r = compile(e.right);
        const op = e.op;
        const node: Node = {
          m: 0,
          s: 0,
          eval(row) {
            if (!l.eval(row) || !r.eval(row)) return false;
            if (op === '+' || op === '-') {
              const s = Math.max(l.s, r.s);
              const b = r.m * POW10[s - r.s]!;
              return setSafe(node, l.m * POW10[s - l.s]! + (op === '+' ? b : -b), s);
            }
            if (op === '*') return setSafe(node, l.m * r.m, l.s + r.s);
            if (r.m === 0) return false;
            const target = Math.min(Math.max(l.s, r.s) + 12, 20);
            return setSafe(node, Math.round((l.m / r.m) * POW10[target - l.s + r.s]!), target);
          },
        };
        return node;
      }
    }
  };
  const root = compile(expr);
  return (row) => {
    if (!root.eval(row)) return null;
    const r = roundDec(root, scale);
    return r.m * POW10[scale - r.s]!;
  };
}
