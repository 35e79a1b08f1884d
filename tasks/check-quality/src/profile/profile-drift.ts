import type { QualityCheckResult, SampleRow } from '../checks';
import type { DatasetProfile } from './table-profiler';

/** The thresholds of quality.profiles. */
export interface DriftThresholds {
  /** Points of null % a column may move between two ds. */
  readonly max_null_pct_change: number;
  /** Percent a column's distinct count may move between two ds. */
  readonly max_distinct_change_pct: number;
}

/** The table name a check result carries for a profiled dataset: curated tables by name, others by their path. */
export function profiledTableName(dataset: string): string {
  return dataset.startsWith('curated/') ? dataset.slice('curated/'.length) : dataset;
}

/**
 * The warn-severity check "<table>.profile_drift": compares each column of today's profile with the
 * same column of the previous ds's profile. A column drifts when its null % moves more than
 * max_null_pct_change points or its distinct count more than max_distinct_change_pct percent (of
 * the previous count). Columns new or gone since then are named in the message but do not drift.
 * Pure; never fails the gate (severity warn).
 */
export function profileDriftResult(now: DatasetProfile, before: DatasetProfile, t: DriftThresholds): QualityCheckResult {
  const table = profiledTableName(now.dataset);
  const old = new Map(before.columns.map((c) => [c.name, c]));
  const drifting: SampleRow[] = [];
  for (const c of now.columns) {
    const b = old.get(c.name);
    if (!b) continue;
    const nullMove = Math.abs(c.null_pct - b.null_pct);
    const distinctMove = (100 * Math.abs(c.distinct - b.distinct)) / Math.max(b.distinct, 1);
    const reasons: string[] = [];
    if (nullMove > t.max_null_pct_change) reasons.push(`null % ${b.null_pct} -> ${c.null_pct}`);
    if (distinctMove > t.max_distinct_change_pct) reasons.push(`distinct ${b.distinct} -> ${c.distinct}`);
    if (reasons.length)
      drifting.push(Object.freeze({ column: c.name, null_pct_before: b.null_pct, null_pct: c.null_pct, distinct_before: b.distinct, distinct: c.distinct, why: reasons.join(', ') }));
  }
  const added = now.columns.filter((c) => !old.has(c.name)).map((c) => c.name);
  const removed = before.columns.filter((c) => !now.columns.some((n) => n.name === c.name)).map((c) => c.name);
  const schemaNote = [added.length ? `new columns: ${added.join(', ')}` : '', removed.length ? `columns gone: ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
  const limits = `limits: null % ±${t.max_null_pct_change} points, distinct ±${t.max_distinct_change_pct}%`;
  const message = drifting.length
    ? `${drifting.length} column${drifting.length > 1 ? 's' : ''} drifted since ${before.ds}: ${drifting.map((d) => `${d.column} (${d.why})`).join('; ')} (${limits})`
    : `no column drifted since ${before.ds} (${limits})`;
  return Object.freeze({
    name: `${table}.profile_drift`,
    table,
    check: 'profile_drift',
    columns: Object.freeze(drifting.map((d) => String(d.column))),
    severity: 'warn',
    status: drifting.length ? 'failed' : 'passed',
    failing_rows: drifting.length,
    rows_checked: now.rows,
    sample: Object.freeze(drifting),
    message: schemaNote ? `${message}; ${schemaNote}` : message,
  });
}
