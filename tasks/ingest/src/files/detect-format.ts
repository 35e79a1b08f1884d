import type { FileEntityConfig } from '@salesflow/config';

export type FileFormat = 'csv' | 'json' | 'ndjson' | 'parquet';

/** The format of a file: configured, else from its extension (".gz" looked through). */
export function detectFormat(key: string, entity: Pick<FileEntityConfig, 'format'>): FileFormat | undefined {
  if (entity.format) return entity.format;
  const name = key.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv') || name.endsWith('.tsv') || name.endsWith('.txt')) return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.parquet')) return 'parquet';
  return undefined;
}
