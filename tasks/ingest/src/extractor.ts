import type * as arrow from 'apache-arrow';

/** One unit of input an extractor reads (a file, a table, an API endpoint), recorded in the manifest. */
export interface ExtractedInput {
  readonly uri: string;
  readonly rows: number;
  readonly bytes?: number;
  readonly modified?: string;
}

/** What an extractor produced for one entity: batches to land and, once drained, what it read. */
export interface Extraction {
  /** Schema of every batch; also the schema of an empty partition. */
  readonly schema: arrow.Schema;
  readonly batches: AsyncIterable<arrow.RecordBatch>;
  /** How many inputs (files, tables, endpoints) will be read; known before draining. */
  readonly planned: number;
  /** Filled while batches are drained. */
  readonly inputs: ExtractedInput[];
}

/**
 * A source kind (files today; databases and APIs plug in here): for one configured entity it
 * streams record batches bounded by batchSize, never the whole entity in memory.
 */
export interface Extractor<EntityConfig> {
  readonly kind: 'files' | 'database' | 'api';
  extract(entity: EntityConfig, opts: { readonly batchSize: number }): Promise<Extraction>;
}
