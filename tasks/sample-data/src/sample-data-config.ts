import { parseDs } from './parse-ds';
import { MAX_SCALE, MIN_SCALE } from './sample-counts';

/** A validated generator run. */
export interface SampleDataConfig {
  /** Landing folder the four files are written into; created when missing, same-named files replaced. */
  readonly outDir: string;
  /** Partition date YYYY-MM-DD; every transaction falls in the `days` days before it (UTC). */
  readonly ds: string;
  /** UTC midnight of ds in ms, derived from ds. */
  readonly dsEpochMs: number;
  /** PRNG seed: the same seed, ds, scale and days give byte-identical files. */
  readonly seed: number;
  /** Multiplies transactions by scale and customers by sqrt(scale); products and locations stay fixed. */
  readonly scale: number;
  /** Length in days of the window before ds that transactions are spread over (history delivery). */
  readonly days: number;
  /**
   * A nightly delivery instead of a history one: the sales of ds itself with ids that carry ds,
   * late transactions and corrections of earlier days, customers as of ds (see docs/sample-data.md).
   */
  readonly daily: boolean;
}

/** Arguments as the command line gives them, before validation. */
export interface RawSampleDataArgs {
  readonly out?: unknown;
  readonly ds?: unknown;
  readonly seed?: unknown;
  readonly scale?: unknown;
  readonly days?: unknown;
  readonly daily?: unknown;
}

/** Defaults of the optional arguments. */
export const SAMPLE_DATA_DEFAULTS = Object.freeze({ seed: 42, scale: 1, days: 365 });

/** Longest accepted --days: ten years. */
export const MAX_DAYS = 3_660;

/** A config, or every problem found, each as "field: message". */
export interface ValidateSampleDataResult {
  readonly config?: SampleDataConfig;
  readonly errors: readonly string[];
}

/** Checks every argument and reports all problems at once; touches neither disk nor clock. */
export function validateSampleDataConfig(raw: RawSampleDataArgs): ValidateSampleDataResult {
  const errors: string[] = [];
  const outDir = raw.out;
  if (typeof outDir !== 'string' || outDir.trim() === '') errors.push('out: a landing folder is required (--out <folder>)');

  let dsEpochMs = Number.NaN;
  if (typeof raw.ds !== 'string') errors.push('ds: a partition date is required (--ds YYYY-MM-DD)');
  else {
    const parsed = parseDs(raw.ds);
    if (parsed.ok) dsEpochMs = parsed.epochMs;
    else errors.push(`ds: ${parsed.error}; expected a real date as YYYY-MM-DD, e.g. 2026-11-26`);
  }

  const seed = raw.seed ?? SAMPLE_DATA_DEFAULTS.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    errors.push(`seed: must be a non-negative integer, got ${String(raw.seed)}`);
  }
  const scale = raw.scale ?? SAMPLE_DATA_DEFAULTS.scale;
  if (typeof scale !== 'number' || !(scale >= MIN_SCALE && scale <= MAX_SCALE)) {
    errors.push(`scale: must be a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${String(raw.scale)}`);
  }
  const days = raw.days ?? SAMPLE_DATA_DEFAULTS.days;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    errors.push(`days: must be a whole number from 1 to ${MAX_DAYS}, got ${String(raw.days)}`);
  }

  const daily = raw.daily ?? false;
  if (typeof daily !== 'boolean') errors.push(`daily: must be true or false, got ${String(raw.daily)}`);
  else if (daily && raw.days !== undefined) errors.push('days: a daily delivery holds the one day ds; leave out --days with --daily');

  if (errors.length > 0) return Object.freeze({ errors: Object.freeze(errors) });
  return Object.freeze({
    config: Object.freeze({
      outDir: outDir as string,
      ds: raw.ds as string,
      dsEpochMs,
      seed: seed as number,
      scale: scale as number,
      days: daily === true ? 1 : (days as number),
      daily: daily as boolean,
    }),
    errors: Object.freeze([]),
  });
}
