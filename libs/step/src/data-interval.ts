import { UsageError } from '@salesflow/errors';

/** The span of time a run covers (Airflow's data interval), as ISO-8601 UTC instants; end exclusive. */
export interface DataInterval {
  readonly start: string;
  readonly end: string;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** One of --data-interval-start / --data-interval-end as an ISO UTC instant; a bare date is midnight UTC. */
function parseInstant(text: string, option: string): string {
  const ms = INSTANT.test(text) ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text.replace(' ', 'T')) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`${option} "${text}" is not an ISO-8601 instant with a time zone`, {
      fix: `give it as Airflow renders {{ data_interval_start }}, e.g. ${option} 2026-11-26T02:00:00+00:00, or a date (midnight UTC)`,
    });
  }
  return new Date(ms).toISOString();
}

/**
 * The run's data interval: from --data-interval-start / --data-interval-end when given, else
 * [ds 00:00 UTC, ds+1 00:00 UTC). Either bound may be given alone; the other keeps its default.
 * Throws a UsageError (exit 2) when a bound is not an instant or the interval is empty. Pure.
 */
export function resolveDataInterval(ds: string, start?: string, end?: string): DataInterval {
  const dayStart = Date.parse(`${ds}T00:00:00Z`);
  const interval = {
    start: start === undefined ? new Date(dayStart).toISOString() : parseInstant(start, '--data-interval-start'),
    end: end === undefined ? new Date(dayStart + 86_400_000).toISOString() : parseInstant(end, '--data-interval-end'),
  };
  if (!(interval.start < interval.end)) {
    throw new UsageError(`the data interval [${interval.start}, ${interval.end}) is empty: its start must come before its end`, {
      fix: 'pass --data-interval-start before --data-interval-end (Airflow: {{ data_interval_start }} and {{ data_interval_end }})',
    });
  }
  return Object.freeze(interval);
}
