import { yesterday } from './pipeline-plan';

/** Longest range the demo runs in one go: ten years of days. */
export const MAX_DEMO_DAYS = 3_660;

/** Where the demo's days come from: the environment and `--days`. */
export interface DemoDaysInput {
  /** First day of the range, YYYY-MM-DD (with DEMO_TO). */
  readonly DEMO_FROM?: string;
  /** Last day of the range, YYYY-MM-DD (with DEMO_FROM). */
  readonly DEMO_TO?: string;
  /** The one day, or the last day of `--days N`; default yesterday. */
  readonly DEMO_DS?: string;
  /** `--days N`: the N days ending at DEMO_DS. */
  readonly days?: number;
}

/** The days to run in order, or why the input does not name any. */
export type DemoDaysResult = { readonly days: readonly string[] } | { readonly error: string };

const MS_PER_DAY = 86_400_000;

/**
 * The demo's days, oldest first: DEMO_FROM to DEMO_TO (both included), or the `days` days ending
 * at DEMO_DS (default yesterday, UTC), or DEMO_DS alone. Pure: the clock comes in as `now`.
 */
export function planDemoDays(input: DemoDaysInput, now: Date = new Date()): DemoDaysResult {
  const { DEMO_FROM: from, DEMO_TO: to, days } = input;
  if ((from === undefined) !== (to === undefined)) return { error: `set both DEMO_FROM and DEMO_TO (got only ${from === undefined ? 'DEMO_TO' : 'DEMO_FROM'}), or use --days N` };
  if (from !== undefined && days !== undefined) return { error: 'DEMO_FROM/DEMO_TO and --days both name a range; use one of them' };
  if (from !== undefined && to !== undefined) {
    const start = dayOf('DEMO_FROM', from);
    const end = dayOf('DEMO_TO', to);
    if (typeof start === 'string') return { error: start };
    if (typeof end === 'string') return { error: end };
    if (end < start) return { error: `DEMO_FROM ${from} is after DEMO_TO ${to}` };
    return rangeOf(start, end - start + 1);
  }
  const ds = input.DEMO_DS ?? yesterday(now);
  const last = dayOf('DEMO_DS', ds);
  if (typeof last === 'string') return { error: last };
  if (days === undefined) return rangeOf(last, 1);
  if (!Number.isInteger(days) || days < 1) return { error: `--days must be a whole number of days from 1 to ${MAX_DEMO_DAYS}, got ${String(days)}` };
  return rangeOf(last - days + 1, days);
}

function rangeOf(start: number, count: number): DemoDaysResult {
  if (count > MAX_DEMO_DAYS) return { error: `the range holds ${count} days, more than the ${MAX_DEMO_DAYS} the demo runs in one go` };
  return { days: Object.freeze(Array.from({ length: count }, (_, i) => new Date((start + i) * MS_PER_DAY).toISOString().slice(0, 10))) };
}

/** Days since 1970-01-01 of a real YYYY-MM-DD date, or the error naming the variable. */
function dayOf(name: string, text: string): number | string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== text) return `${name} "${text}" is not a date YYYY-MM-DD, e.g. 2026-11-26`;
  return ms / MS_PER_DAY;
}
