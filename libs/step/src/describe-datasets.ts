import type { ColumnDef } from '@salesflow/batches';
import { MANIFEST_FILE, parseManifest, type Lake } from '@salesflow/lake';
import type { DatasetRef } from './step-context';

/** A dataset of the run report: what the step said, plus the partition's schema when it is a lake partition. */
export interface DescribedDataset extends DatasetRef {
  /** sha256 prefix of the columns (names, kinds, nullability), from the partition's manifest. */
  readonly schema_hash?: string;
}

const PARTITION = /\/dt=\d{4}-\d{2}-\d{2}\/?$/;

/**
 * Adds schema and schema_hash to every dataset that is a committed partition of this lake (its
 * manifest says them), so run reports and lineage carry them whatever step wrote the partition.
 * Other datasets (landing files, warehouse tables) keep what the step gave. Never throws: a
 * report without a schema is better than no report.
 */
export async function describeDatasets(lake: Lake, refs: readonly DatasetRef[]): Promise<DescribedDataset[]> {
  const root = lake.storage.rootUri.replace(/\/+$/, '') + '/';
  return Promise.all(
    refs.map(async (ref): Promise<DescribedDataset> => {
      if (!ref.uri.startsWith(root) || !PARTITION.test(ref.uri)) return ref;
      const key = ref.uri.slice(root.length).replace(/\/?$/, '/') + MANIFEST_FILE;
      try {
        const bytes = await lake.storage.getBytes(key);
        if (!bytes) return ref;
        const m = parseManifest(Buffer.from(bytes).toString('utf8'), ref.uri);
        return { ...ref, schema: ref.schema ?? (m.schema as ColumnDef[]), schema_hash: m.schema_hash };
      } catch {
        return ref;
      }
    }),
  );
}
