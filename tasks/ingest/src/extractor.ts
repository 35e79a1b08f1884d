import type * as arrow from 'apache-arrow';
import type { DataInterval } from '@salesflow/step';
import type { CursorBound, IncrementalPosition } from './incremental/entity-state';

/** One unit of input an extractor reads (a file, a table, an API endpoint), recorded in the manifest. */
export interface ExtractedInput {
  readonly uri: string;
  readonly rows: number;
  readonly bytes?: number;
  readonly modified?: string;
}

/** What an extraction leaves once drained: where the next incremental run starts, and rows dropped as already loaded. */
export interface ExtractionOutcome {
  readonly position?: IncrementalPosition;
  readonly dropped: number;
  /** The exclusive upper bound of a time cursor's read (the data interval's end), ISO-8601 UTC; absent when unbounded. */
  readonly readTo?: string;
  /** The lower bound of the cursor's read; absent when it had none. */
  readonly readFrom?: CursorBound;
}

/** What an extractor produced for one entity: batches to land and, once drained, what it read. */
export interface Extraction {
  /** Schema of every batch; also the schema of an empty partition. */
  readonly schema: arrow.Schema;
  readonly batches: AsyncIterable<arrow.RecordBatch>;
  /** How many inputs (files, tables, endpoints) will be read; known before draining. */
  readonly planned: number;
  /** How many inputs exist, read or not (files already ingested are found but not planned); default planned. */
  readonly found?: number;
  /** Filled while batches are drained. */
  readonly inputs: ExtractedInput[];
  /** Things a person should look at that do not stop the run (a file without rows); filled while batches are drained. */
  readonly warnings?: string[];
  /** Called after draining, for incremental entities; undefined for full loads. */
  readonly outcome?: () => ExtractionOutcome;
}

export interface ExtractOptions {
  readonly batchSize: number;
  /** Where an incremental read starts; undefined on a first run, after a gap, or with --full-refresh. */
  readonly start?: IncrementalPosition;
  /**
   * The run: its ds and data interval. Database entities bind them for {ds},
   * {data_interval_start}, {data_interval_end}, and read a time cursor up to the interval's end
   * (from its start when there is no start position and no full refresh).
   */
  readonly run?: { readonly ds: string; readonly interval: DataInterval; readonly fullRefresh: boolean };
}

/**
 * A source kind (files, database, api): for one configured entity it streams record batches
 * bounded by batchSize, never the whole entity in memory.
 */
export interface Extractor<EntityConfig> {
  readonly kind: 'files' | 'database' | 'api';
  extract(entity: EntityConfig, opts: ExtractOptions): Promise<Extraction>;
  /** Releases connections; called once every entity is done. */
  close?(): Promise<void>;
}
