/** Lake zones with a retention period, by the top-level prefix they live under. */
export const RETENTION_ZONES = Object.freeze({ raw: 'raw/', processed: 'processed/', curated: 'curated/' } as const);

/**
 * Keys of partitions older than the retention allows, counted from ds (never the clock, so a
 * backfill of an old date does not delete what it is about to read). Pure.
 */
export function expiredKeys(keys: readonly string[], ds: string, days: number): string[] {
  const cutoff = Date.parse(ds + 'T00:00:00Z') - days * 86_400_000;
  return keys.filter((k) => {
    const m = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\//.exec(k);
    return m ? Date.parse(m[1]! + 'T00:00:00Z') < cutoff : false;
  });
}
