import { datasets, type Lake } from '@salesflow/lake';
import type { RunReportView } from './checks';

/** One step run of a ds, as the report shows it. */
export interface StepRunSummary {
  /** Run report name: the step, with its source for per-source steps ("ingest-landing"). */
  readonly name: string;
  readonly status: string;
  readonly rows_in: number;
  readonly rows_out: number;
  readonly rows_rejected: number;
  readonly rows_dropped: number;
  readonly duration_s?: number;
  readonly peak_rss_mb?: number;
}

/** What the pipeline did for one ds: its step runs, and its quality verdict when it was checked. */
export interface RunHistoryPoint {
  readonly ds: string;
  readonly steps: readonly StepRunSummary[];
  readonly quality?: { readonly status: string; readonly failed: number; readonly warned: number };
}

/** Pipeline order, for tables and legends; steps not listed come after, by name. */
const ORDER = ['setup', 'ingest', 'standardize', 'mask', 'build-star-schema', 'check-quality', 'load-warehouse'];
const rank = (name: string) => {
  const i = ORDER.findIndex((s) => name === s || name.startsWith(`${s}-`));
  return i < 0 ? ORDER.length : i;
};

/** Sorts step runs in pipeline order. */
export function sortStepRuns<T extends { readonly name: string }>(runs: readonly T[]): T[] {
  return [...runs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** A run report reduced to what the report shows. */
export function summarizeStepRun(name: string, r: RunReportView & { duration_s?: number; peak_rss_mb?: number }): StepRunSummary {
  return {
    name,
    status: r.status,
    rows_in: r.rows_in ?? 0,
    rows_out: r.rows_out ?? 0,
    rows_rejected: r.rows_rejected ?? 0,
    rows_dropped: r.rows_dropped ?? 0,
    ...(r.duration_s !== undefined ? { duration_s: r.duration_s } : {}),
    ...(r.peak_rss_mb !== undefined ? { peak_rss_mb: r.peak_rss_mb } : {}),
  };
}

/**
 * The last `runs` ds up to and including ds that have run reports, oldest first: one listing of
 * _runs/ and quality/, then the small JSON documents of those days. ds's own step runs come from
 * `current` (already read), its quality verdict from `currentQuality`.
 */
export async function readRunHistory(
  lake: Lake,
  opts: {
    readonly ds: string;
    readonly runs: number;
    readonly current: ReadonlyMap<string, RunReportView>;
    readonly currentQuality: RunHistoryPoint['quality'];
  },
): Promise<RunHistoryPoint[]> {
  const byDs = new Map<string, string[]>();
  for (const o of await lake.storage.list('_runs/dt=')) {
    const m = /^_runs\/dt=(\d{4}-\d{2}-\d{2})\/(.+)\.json$/.exec(o.key);
    if (m && m[1]! < opts.ds) (byDs.get(m[1]!) ?? byDs.set(m[1]!, []).get(m[1]!)!).push(m[2]!);
  }
  const earlier = [...byDs.keys()].sort().slice(-(opts.runs - 1));
  const points: RunHistoryPoint[] = [];
  for (const ds of earlier) {
    // A day's reports at once: on S3 each is a round trip.
    const read = await Promise.all(byDs.get(ds)!.map(async (name) => [name, await lake.readJson<RunReportView>(datasets.runReportKey(ds, name))] as const));
    const steps = read.filter(([, r]) => r).map(([name, r]) => summarizeStepRun(name, r!));
    const q = await lake.readJson<{ status: string; summary: { failed: number; warned: number } }>(datasets.qualityPrefix(ds) + 'report.json');
    points.push({ ds, steps: sortStepRuns(steps), ...(q ? { quality: { status: q.status, failed: q.summary.failed, warned: q.summary.warned } } : {}) });
  }
  const current = sortStepRuns([...opts.current].map(([name, r]) => summarizeStepRun(name, r)));
  points.push({ ds: opts.ds, steps: current, ...(opts.currentQuality ? { quality: opts.currentQuality } : {}) });
  return points;
}
