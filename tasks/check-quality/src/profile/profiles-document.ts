import { datasets } from '@salesflow/lake';
import type { Lake } from '@salesflow/lake';
import { HLL_PRECISION, QUANTILE_K, TOP_VALUE_COUNTERS, type DatasetProfile } from './table-profiler';

/** quality/dt=<ds>/profiles.json: the column profiles of every profiled partition of one ds. */
export interface ProfilesDocument {
  readonly ds: string;
  readonly run_id: string;
  readonly generated_at: string;
  /** How the sketches were sized, so a reader knows the error bars. */
  readonly sketches: { readonly hll_precision: number; readonly quantile_k: number; readonly top_value_counters: number };
  readonly datasets: readonly DatasetProfile[];
}

/** The key of the profiles of a ds. */
export function profilesKey(ds: string): string {
  return datasets.qualityPrefix(ds) + 'profiles.json';
}

export function buildProfilesDocument(ds: string, runId: string, generatedAt: Date, profiles: readonly DatasetProfile[]): ProfilesDocument {
  return Object.freeze({
    ds,
    run_id: runId,
    generated_at: generatedAt.toISOString(),
    sketches: Object.freeze({ hll_precision: HLL_PRECISION, quantile_k: QUANTILE_K, top_value_counters: TOP_VALUE_COUNTERS }),
    datasets: Object.freeze([...profiles]),
  });
}

/** The ds that have a profiles.json, oldest first (one listing of quality/). */
export async function listProfiledDays(lake: Lake): Promise<string[]> {
  const days: string[] = [];
  for (const o of await lake.storage.list('quality/dt=')) {
    const m = /^quality\/dt=(\d{4}-\d{2}-\d{2})\/profiles\.json$/.exec(o.key);
    if (m) days.push(m[1]!);
  }
  return days.sort();
}

/** The newest profiles document before ds, if any. */
export async function readPreviousProfiles(lake: Lake, ds: string): Promise<ProfilesDocument | undefined> {
  const before = (await listProfiledDays(lake)).filter((d) => d < ds).at(-1);
  return before ? lake.readJson<ProfilesDocument>(profilesKey(before)) : undefined;
}
