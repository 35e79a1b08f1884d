import type { Lake } from '@salesflow/lake';
import { QUALITY_DATASET, ZONES, type LakeDataset, type Zone } from './lake-datasets';

/** ok: committed and newer than its inputs; missing: not committed; stale: older than one of its inputs. */
export type PartitionState = 'ok' | 'missing' | 'stale';

export interface DatasetDayStatus {
  readonly dataset: string;
  readonly zone: Zone;
  readonly state: PartitionState;
  /** When it was committed (manifest or report written). */
  readonly committedAt?: string;
  /** For stale: the inputs committed after it. */
  readonly newerInputs?: readonly string[];
}

/** Events of a ds that arrived in a later day of a stream (its late events), as that day's raw manifest counts them; `landedIn` is the arrival day (under late_events: event_day they were appended to this ds's raw partition). */
export interface LateEvents {
  readonly dataset: string;
  readonly landedIn: string;
  readonly events: number;
}

export interface DayStatus {
  readonly ds: string;
  readonly datasets: readonly DatasetDayStatus[];
  /** Late events of this ds that arrived in later days: its figures by event time changed after it was processed, so it needs re-processing. */
  readonly late?: readonly LateEvents[];
  /** The first step (pipeline order) whose output is missing or stale: a backfill reruns it and everything after. */
  readonly rerunFrom?: string;
}

/** Every ds from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Commit times of a dataset's partitions by ds: one listing, using the time of each _manifest.json (or report.json). */
async function commitTimes(lake: Lake, dataset: string): Promise<Map<string, Date>> {
  const prefix = dataset === QUALITY_DATASET ? 'quality/dt=' : `${dataset}/dt=`;
  const marker = dataset === QUALITY_DATASET ? 'report.json' : '_manifest.json';
  const out = new Map<string, Date>();
  for (const o of await lake.storage.list(prefix)) {
    const m = /^(\d{4}-\d{2}-\d{2})\/(.+)$/.exec(o.key.slice(prefix.length));
    if (m && m[2] === marker) out.set(m[1]!, o.modified);
  }
  return out;
}

/**
 * Which partitions of each zone exist, are missing, or are older than their inputs, for every
 * ds of a range: what a backfill must rerun. One listing per dataset, whatever the range.
 */
export async function readLakeStatus(lake: Lake, plan: readonly LakeDataset[], from: string, to: string): Promise<DayStatus[]> {
  const times = new Map<string, Map<string, Date>>();
  for (const d of plan) times.set(d.dataset, await commitTimes(lake, d.dataset));
  const late = await lateEventsOf(lake, plan, times, from, to);
  return daysBetween(from, to).map((ds) => {
    const statuses = plan.map((d): DatasetDayStatus => {
      const at = times.get(d.dataset)!.get(ds);
      if (!at) return { dataset: d.dataset, zone: d.zone, state: 'missing' };
      const newer = d.inputs.filter((i) => (times.get(i)?.get(ds)?.getTime() ?? -Infinity) > at.getTime());
      return { dataset: d.dataset, zone: d.zone, state: newer.length ? 'stale' : 'ok', committedAt: at.toISOString(), ...(newer.length ? { newerInputs: newer } : {}) };
    });
    const first = plan.find((d, i) => statuses[i]!.state !== 'ok');
    return { ds, datasets: statuses, ...(first ? { rerunFrom: first.step } : {}), ...(late.has(ds) ? { late: late.get(ds) } : {}) };
  });
}

/**
 * Late events by event ds in [from, to]: Kafka raw partitions committed for a later ds count, in
 * meta.kafka.late, the landed events whose event time is in an earlier ds. One manifest read per
 * Kafka raw partition after `from`.
 */
async function lateEventsOf(lake: Lake, plan: readonly LakeDataset[], times: ReadonlyMap<string, ReadonlyMap<string, Date>>, from: string, to: string): Promise<Map<string, LateEvents[]>> {
  const out = new Map<string, LateEvents[]>();
  for (const d of plan.filter((p) => p.zone === 'raw' && p.dataset.startsWith('raw/kafka/'))) {
    for (const landedIn of [...times.get(d.dataset)!.keys()].filter((ds) => ds > from).sort()) {
      const counts = ((await lake.readManifest(d.dataset, landedIn))?.meta.kafka as { late?: Record<string, number> } | undefined)?.late ?? {};
      for (const [ds, events] of Object.entries(counts)) {
        if (ds >= from && ds <= to && ds < landedIn && events > 0) out.set(ds, [...(out.get(ds) ?? []), { dataset: d.dataset, landedIn, events }]);
      }
    }
  }
  return out;
}

/** A table per zone (datasets × days: ✓ ok, · missing, ! stale), then what to rerun per ds. For people. */
export function formatLakeStatus(days: readonly DayStatus[]): string {
  if (days.length === 0) return 'no day in range\n';
  const mark = { ok: '✓', missing: '·', stale: '!' } as const;
  const names = days[0]!.datasets.map((d) => d.dataset);
  const width = Math.max(...names.map((n) => n.length));
  const lines: string[] = [];
  const header = `${' '.repeat(width)}  ${days.map((d) => d.ds.slice(5)).join(' ')}`;
  for (const zone of ZONES) {
    const rows = days[0]!.datasets.map((d, i) => ({ d, i })).filter(({ d }) => d.zone === zone);
    if (!rows.length) continue;
    lines.push(`${zone}`, header);
    for (const { d, i } of rows) lines.push(`${d.dataset.padEnd(width)}  ${days.map((day) => `  ${mark[day.datasets[i]!.state]}  `).join(' ')}`);
    lines.push('');
  }
  lines.push('✓ committed and newer than its inputs   · missing   ! older than an input (rerun)', '');
  const todo = days.filter((d) => d.rerunFrom);
  if (!todo.length && !days.some((d) => d.late)) lines.push(`every partition from ${days[0]!.ds} to ${days.at(-1)!.ds} is there and up to date`);
  for (const d of todo) {
    const bad = d.datasets.filter((s) => s.state !== 'ok').map((s) => `${s.dataset} ${s.state}`);
    lines.push(`${d.ds}: rerun from ${d.rerunFrom} (${bad.slice(0, 4).join(', ')}${bad.length > 4 ? `, +${bad.length - 4} more` : ''})`);
  }
  for (const d of days.filter((x) => x.late)) {
    const where = d.late!.map((l) => `${l.events} in ${l.dataset} dt=${l.landedIn}`).join(', ');
    lines.push(`${d.ds}: needs re-processing: ${d.late!.reduce((n, l) => n + l.events, 0)} of its events landed late (${where})`);
  }
  return lines.join('\n') + '\n';
}
