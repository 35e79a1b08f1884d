import { UsageError } from '@salesflow/errors';

const DS = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Throws a UsageError unless ds is a real calendar date written YYYY-MM-DD. */
export function assertDs(ds: string, what = '--ds'): string {
  const m = DS.exec(ds);
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== ds) {
    throw new UsageError(`${what} "${ds}" is not a date`, { fix: `give the logical date as YYYY-MM-DD, e.g. ${what} 2026-11-26` });
  }
  return ds;
}

/** "raw/files/landing/customers" + ds -> "raw/files/landing/customers/dt=2026-11-26/". */
export function partitionPrefix(dataset: string, ds: string): string {
  return `${dataset.replace(/\/+$/, '')}/dt=${ds}/`;
}

/** Lake dataset paths, in one place so every step agrees (DESIGN.md "The lake"). */
export const datasets = Object.freeze({
  raw: (kind: 'files' | 'database' | 'api' | 'kafka', source: string, entity: string) => `raw/${kind}/${source}/${entity}`,
  processed: (entity: string) => `processed/${entity}`,
  rejected: (entity: string) => `processed/_rejected/${entity}`,
  masked: (entity: string) => `processed/masked/${entity}`,
  curated: (table: string) => `curated/${table}`,
  /** The state of one entity before states were kept per day (read for the upgrade only). */
  stateKey: (source: string, entity: string) => `_state/${source}/${entity}.json`,
  /** The folder of an entity's per-day states. */
  statePrefix: (source: string, entity: string) => `_state/${source}/${entity}/`,
  /** The state one run of ds left: written by that ds's runs only, so parallel days never share an object. */
  stateDayKey: (source: string, entity: string, ds: string) => `_state/${source}/${entity}/dt=${ds}.json`,
  runReportKey: (ds: string, step: string, source?: string) => `_runs/dt=${ds}/${step}${source ? '-' + source : ''}.json`,
  qualityPrefix: (ds: string) => `quality/dt=${ds}/`,
});
