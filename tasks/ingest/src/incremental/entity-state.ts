import { datasets, type Lake } from '@salesflow/lake';
import type { DataInterval } from '@salesflow/step';
import type { WatermarkState } from './boundary-filter';

export const STATE_FORMAT = 'salesflow.state/1';

/**
 * What one run of ds of an entity leaves for the runs of later days, in the lake at
 * _state/<source>/<entity>/dt=<ds>.json. Only runs of that ds write it, so runs of different
 * days never write the same object, whatever their order or overlap.
 */
export interface EntityState {
  readonly format: typeof STATE_FORMAT;
  readonly source: string;
  readonly entity: string;
  /** The run and ds whose committed partition this state describes. */
  readonly ds: string;
  readonly run_id: string;
  readonly updated_at: string;
  /** The run's data interval. */
  readonly interval?: DataInterval;
  /** The run read all history (--full-refresh): a re-run of this ds does so again. */
  readonly full_refresh?: boolean;
  /** Exclusive upper bound of a time cursor's read, ISO-8601 UTC; absent when the read was unbounded. */
  readonly read_to?: string;
  /** Lower bound of the cursor's read; absent when the read had none (a full refresh, a first integer read). */
  readonly read_from?: CursorBound;
  /** Database and API entities with a cursor. */
  readonly watermark?: WatermarkState;
  /** File entities with new_files_only: every file ingested so far, URI -> modification time. */
  readonly files?: Readonly<Record<string, string>>;
  /** Only in the one-file state of earlier versions: where that ds's run started. */
  readonly start?: IncrementalPosition;
}

/** A cursor bound as the read binds it: typed text (see SessionParam). */
export interface CursorBound {
  readonly type: 'date' | 'timestamp' | 'int';
  readonly value: string;
}

/** Where an incremental read starts. */
export interface IncrementalPosition {
  readonly watermark?: WatermarkState;
  readonly files?: Readonly<Record<string, string>>;
  /** Where the previous day's read started: rows below it were never that day's, so the lookback does not reach them. */
  readonly readFrom?: CursorBound;
}

/** Where a run starts, and why. */
export interface StartPlan {
  readonly start?: IncrementalPosition;
  /** Read all history: --full-refresh, or a re-run of a ds that was loaded that way. */
  readonly fullRefresh?: boolean;
  /** The ds whose state the run continues from. */
  readonly after?: string;
  /** Set when the previous day's read ended before this interval starts: that range is left to the runs it belongs to. */
  readonly gap?: { readonly from: string; readonly to: string; readonly ds: string };
}

/**
 * Where a run of ds starts. The previous state is the one of the latest ds before this one (not
 * the latest run): a re-run of any ds, in any order, continues from the same state as its first
 * run did, so it lands the same rows, and a run never depends on a later day. With --full-refresh,
 * or when no earlier day has run, nowhere (a time cursor then reads its own interval, or all
 * history with --full-refresh). When the previous day's time-cursor read stopped before this
 * interval starts (days between not run yet), the run starts at its interval's start instead:
 * reading the gap would land other days' rows here. A re-run of a ds whose state (`own`) says it
 * was a full refresh is one again, so the initial load's day keeps its history. `legacy` is the
 * one-file state of earlier versions, used until the first per-day state exists. Pure.
 */
export function planStart(opts: { ds: string; interval?: DataInterval; fullRefresh: boolean; previous?: EntityState; legacy?: EntityState; own?: EntityState }): StartPlan {
  const { ds, interval, previous, legacy } = opts;
  // A re-run lands what the first run did: the day of an initial load is loaded in full again.
  if (opts.fullRefresh || opts.own?.full_refresh) return { fullRefresh: true };
  if (previous) {
    if (previous.read_to && interval && previous.read_to < interval.start) return { gap: { from: previous.read_to, to: interval.start, ds: previous.ds } };
    return { start: { watermark: previous.watermark, files: previous.files, ...(previous.read_from ? { readFrom: previous.read_from } : {}) }, after: previous.ds };
  }
  if (legacy?.ds === ds) return legacy.start ? { start: legacy.start, after: 'before ' + ds } : {};
  if (legacy && legacy.ds < ds) return { start: { watermark: legacy.watermark, files: legacy.files }, after: legacy.ds };
  return {};
}

/**
 * The state of the latest ds before `ds`, the state of `ds` itself (a re-run), and the one-file
 * state of earlier versions when no per-day state exists before ds.
 */
export async function readPreviousState(lake: Lake, source: string, entity: string, ds: string): Promise<{ previous?: EntityState; legacy?: EntityState; own?: EntityState }> {
  const prefix = datasets.statePrefix(source, entity);
  const days = (await lake.storage.list(prefix))
    .map((o) => /^dt=(\d{4}-\d{2}-\d{2})\.json$/.exec(o.key.slice(prefix.length))?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
  const before = days.filter((d) => d < ds);
  const own = days.includes(ds) ? await readState(lake, datasets.stateDayKey(source, entity, ds)) : undefined;
  if (before.length) return { previous: await readState(lake, datasets.stateDayKey(source, entity, before[before.length - 1]!)), own };
  return { legacy: await readState(lake, datasets.stateKey(source, entity)), own };
}

async function readState(lake: Lake, key: string): Promise<EntityState | undefined> {
  const s = await lake.readJson<EntityState>(key);
  if (s && s.format !== STATE_FORMAT) throw new Error(`${lake.storage.uriOf(key)} is not a ${STATE_FORMAT} document`);
  return s;
}

/** The state a run of ds left, or undefined. */
export async function readDayState(lake: Lake, source: string, entity: string, ds: string): Promise<EntityState | undefined> {
  return readState(lake, datasets.stateDayKey(source, entity, ds));
}

/** Replaces the state of the run's ds; called only after the partition it describes is committed. */
export async function writeEntityState(lake: Lake, state: Omit<EntityState, 'format' | 'updated_at'>): Promise<void> {
  await lake.writeJson(datasets.stateDayKey(state.source, state.entity, state.ds), { format: STATE_FORMAT, ...state, updated_at: new Date().toISOString() });
}
