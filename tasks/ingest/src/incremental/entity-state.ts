import { datasets, type Lake } from '@salesflow/lake';
import type { WatermarkState } from './boundary-filter';

export const STATE_FORMAT = 'salesflow.state/1';

/** What one entity of a source remembers between runs, in the lake at _state/<source>/<entity>.json. */
export interface EntityState {
  readonly format: typeof STATE_FORMAT;
  readonly source: string;
  readonly entity: string;
  /** The run and ds whose committed partition this state describes. */
  readonly ds: string;
  readonly run_id: string;
  readonly updated_at: string;
  /** Database and API entities with a cursor. */
  readonly watermark?: WatermarkState;
  /** File entities with new_files_only: every file ingested so far, URI -> modification time. */
  readonly files?: Readonly<Record<string, string>>;
  /** The state this ds's run started from: a re-run of the same ds starts there again, so it lands the same rows. */
  readonly start?: IncrementalPosition;
}

/** Where an incremental read starts. */
export interface IncrementalPosition {
  readonly watermark?: WatermarkState;
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * Where a run of ds starts: nowhere with --full-refresh or before the first run; the previous
 * run's start when ds is re-run (so the re-run replaces the partition with the same rows);
 * else where the last run ended.
 */
export function startPosition(state: EntityState | undefined, ds: string, fullRefresh: boolean): IncrementalPosition | undefined {
  if (fullRefresh || !state) return undefined;
  if (state.ds === ds) return state.start;
  return { watermark: state.watermark, files: state.files };
}

/** The entity's state, or undefined before its first incremental run. */
export async function readEntityState(lake: Lake, source: string, entity: string): Promise<EntityState | undefined> {
  const s = await lake.readJson<EntityState>(datasets.stateKey(source, entity));
  if (s && s.format !== STATE_FORMAT) throw new Error(`${lake.storage.uriOf(datasets.stateKey(source, entity))} is not a ${STATE_FORMAT} document`);
  return s;
}

/** Replaces the entity's state; called only after the partition it describes is committed. */
export async function writeEntityState(lake: Lake, state: Omit<EntityState, 'format' | 'updated_at'>): Promise<void> {
  await lake.writeJson(datasets.stateKey(state.source, state.entity), { format: STATE_FORMAT, ...state, updated_at: new Date().toISOString() });
}
