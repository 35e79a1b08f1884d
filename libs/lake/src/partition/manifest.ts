import { createHash } from 'node:crypto';
import type { ColumnDef } from '@salesflow/batches';

export const MANIFEST_FILE = '_manifest.json';
export const MANIFEST_FORMAT = 'salesflow.manifest/1';

/** One data file of a partition; key is relative to the lake root. */
export interface ManifestFile {
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * What commits a partition. Written last: a partition without one does not exist, and readers
 * read exactly the files it lists, so a half-written re-run is never seen.
 */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** Dataset path below the root, e.g. "raw/files/landing/customers". */
  readonly dataset: string;
  readonly ds: string;
  readonly rows: number;
  readonly files: readonly ManifestFile[];
  readonly schema: readonly ColumnDef[];
  /** sha256 of the schema (names, kinds with a decimal's precision and scale, nullability), to spot drift between runs. */
  readonly schema_hash: string;
  readonly producer: { readonly step: string; readonly run_id: string };
  readonly committed_at: string;
  /** Anything the producer wants readers to know (source files, watermarks, counts). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Stable hash of a schema, independent of how it was built. */
export function hashSchema(schema: readonly ColumnDef[]): string {
  const canon = schema.map((c) => `${c.name}:${c.kind}${c.kind === 'decimal' ? `(${c.precision},${c.scale})` : ''}:${c.nullable === false ? 'required' : 'nullable'}`).join(',');
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}

/** Parses manifest JSON, checking the fields readers rely on. */
export function parseManifest(text: string, where: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new Error(`${where} is not a ${MANIFEST_FORMAT} manifest: ${(e as Error).message}`);
  }
  if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.files) || typeof m.rows !== 'number') {
    throw new Error(`${where} is not a ${MANIFEST_FORMAT} manifest`);
  }
  return m;
}
