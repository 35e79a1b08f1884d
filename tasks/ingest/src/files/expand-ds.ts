import type { FilesSourceConfig } from '@salesflow/config';

/**
 * Fills the ds placeholders of a landing path or pattern: {ds} (2026-11-26), {ds_nodash}
 * (20261126), {yyyy}, {mm}, {dd}. A run reads only what landed for its own ds, so a backfill of an
 * old date never picks up today's files. Pure.
 */
export function expandDs(text: string, ds: string): string {
  const [yyyy, mm, dd] = ds.split('-') as [string, string, string];
  return text
    .replaceAll('{ds}', ds)
    .replaceAll('{ds_nodash}', `${yyyy}${mm}${dd}`)
    .replaceAll('{yyyy}', yyyy)
    .replaceAll('{mm}', mm)
    .replaceAll('{dd}', dd);
}

/** The source with its path and entity patterns expanded for ds. */
export function sourceForDs(source: FilesSourceConfig, ds: string): FilesSourceConfig {
  return { ...source, path: expandDs(source.path, ds), entities: source.entities.map((e) => ({ ...e, pattern: expandDs(e.pattern, ds) })) };
}
