import type * as arrow from 'apache-arrow';
import type { IncrementalPosition } from './incremental/entity-state';

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
  /** Where an incremental read starts; undefined on a first run or with --full-refresh. */
  readonly start?: IncrementalPosition;
  /** Source column names standardize expects for the entity (its `from` or column names), so a file can be checked to have a real header. */
  readonly declaredColumns?: readonly string[];
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
