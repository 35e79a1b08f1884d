import type { Manifest } from '@salesflow/lake';

/** Manifest meta field of a dimension snapshot: the highest surrogate key handed out so far. */
export const MAX_KEY_META = 'max_key';

/**
 * The snapshot to build on: the one committed most recently (by `committed_at`, ties broken by
 * the larger ds), not the one with the largest ds. Every snapshot is cumulative (it holds all the
 * members of the snapshot it was built from), so after a backfill of an old ds the backfill's
 * snapshot is the one holding every member, while the largest ds's snapshot misses the backfill's.
 */
export function mostRecentlyCommitted(manifests: readonly Manifest[]): Manifest | undefined {
  let best: Manifest | undefined;
  let bestAt = -Infinity;
  for (const m of manifests) {
    const at = committedAt(m);
    if (!best || at > bestAt || (at === bestAt && m.ds > best.ds)) {
      best = m;
      bestAt = at;
    }
  }
  return best;
}

/**
 * The highest `max_key` recorded by any of the manifests (0 when none has one). Manifests written
 * before `max_key` existed are skipped: the caller also counts the keys of the snapshot it loads.
 */
export function highestMaxKey(manifests: readonly Manifest[]): number {
  let max = 0;
  for (const m of manifests) {
    const k = m.meta?.[MAX_KEY_META];
    if (typeof k === 'number' && Number.isInteger(k) && k > max) max = k;
  }
  return max;
}

// An unparsable timestamp sorts as the oldest rather than winning by accident.
function committedAt(m: Manifest): number {
  const t = Date.parse(m.committed_at);
  return Number.isNaN(t) ? -Infinity : t;
}
