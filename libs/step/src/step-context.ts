import type { ColumnDef } from '@salesflow/batches';
import type { PipelineConfig } from '@salesflow/config';
import type { Lake } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';
import { resolveDataInterval, type DataInterval } from './data-interval';

/** Everything a step needs, built once by main.ts; the step never reads argv, env or the clock for its partition. */
export interface StepContext {
  readonly step: string;
  /** The logical date (Airflow's ds), YYYY-MM-DD. */
  readonly ds: string;
  readonly runId: string;
  /** --source, for steps that run once per source. */
  readonly source?: string;
  /** --full-refresh: ignore incremental state and re-read everything. */
  readonly fullRefresh?: boolean;
  /**
   * --data-interval-start / --data-interval-end (Airflow's data interval); executeStep always
   * fills it, by default [ds 00:00 UTC, ds+1 00:00 UTC). Contexts built by hand may leave it out:
   * use dataIntervalOf(ctx).
   */
  readonly dataInterval?: DataInterval;
  readonly config: PipelineConfig;
  readonly lake: Lake;
  readonly log: Logger;
}

/** One dataset a step read or wrote, for the run report and lineage. */
export interface DatasetRef {
  readonly uri: string;
  readonly rows: number;
  /** Its columns, when the step knows them; lake partitions get theirs from the manifest. */
  readonly schema?: readonly ColumnDef[];
}

/** An incremental watermark of one entity, as a step returns it in metrics.watermarks[entity]. */
export interface WatermarkChange {
  readonly before: unknown;
  readonly after: unknown;
}

/** What a step returns: counts and datasets. rows_in must equal rows_out + rows_rejected + rows_dropped. */
export interface StepResult {
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly rowsRejected?: number;
  /** Rows removed on purpose (e.g. duplicates), not rejected. */
  readonly rowsDropped?: number;
  readonly inputs: readonly DatasetRef[];
  readonly outputs: readonly DatasetRef[];
  /** Step-specific figures (unknown members, checks failed...). `watermarks: { entity: { before, after } }` is copied to the run report's top level. */
  readonly metrics?: Readonly<Record<string, unknown>>;
}

/** A step as main.ts runs it. */
export interface StepDefinition {
  /** Step name as in the DAG and the lake's _runs/ (e.g. "build-star-schema"). */
  readonly name: string;
  readonly description: string;
  /** Whether --source is required (steps run once per source). */
  readonly perSource?: boolean;
  run(ctx: StepContext): Promise<StepResult>;
}

/** The run's data interval: the one given, else the UTC day of ds. */
export function dataIntervalOf(ctx: Pick<StepContext, 'ds' | 'dataInterval'>): DataInterval {
  return ctx.dataInterval ?? resolveDataInterval(ctx.ds);
}
