import type * as arrow from 'apache-arrow';
import { filterRows, KeySet, RowKeys } from '@salesflow/batches';
import type { Lake, Manifest } from '@salesflow/lake';

/**
 * Facts keyed by their grain across batches. A fact row belongs to the newest batch (ds) that
 * carries its grain: a corrected or late re-delivery of a sale moves it there, out of the older
 * fact partitions, so the curated zone and the warehouse hold each grain once, as its newest
 * batch says. This file holds the lake side: which grains newer partitions own, and rewriting
 * older partitions without the grains a batch takes over.
 */

/** Grain keys of one batch, or undefined for a row whose grain has a null (it can be nobody's update). */
function keysOf(batch: arrow.RecordBatch, grain: readonly string[]): RowKeys {
  return new RowKeys(
    grain.map((g) => {
      const column = batch.getChild(g);
      if (!column) throw new Error(`fact grain column ${g} is missing from a batch`);
      return column.data[0]!;
    }),
  );
}

/**
 * The set of grains the given fact partitions hold (only the grain columns are read). Sized from
 * the manifests' row counts so that it never grows.
 */
export async function readGrains(lake: Lake, partitions: readonly Manifest[], grain: readonly string[]): Promise<KeySet> {
  const rows = partitions.reduce((n, m) => n + m.rows, 0);
  const set = new KeySet(Math.max(rows, 16), Math.max(rows, 16) * 16);
  for (const m of partitions) {
    for await (const b of lake.readManifestBatches(m, { columns: [...grain] })) {
      const keys = keysOf(b, grain);
      for (let r = 0; r < b.numRows; r++) {
        if (keys.hasNull(r)) continue;
        keys.key(r);
        set.add(keys.bytes, keys.start, keys.end);
      }
    }
  }
  return set;
}

/**
 * Splits a batch of the fact's source by grain: rows whose grain `owned` holds (a newer batch
 * carries them) are dropped and counted; the others are kept, and their grains added to
 * `taken` (the grains this batch takes over from older ones) when given.
 */
export function dropOwnedGrains(batch: arrow.RecordBatch, grain: readonly string[], owned: KeySet | undefined, taken: KeySet | undefined): { batch: arrow.RecordBatch; dropped: number } {
  if (!owned && !taken) return { batch, dropped: 0 };
  const keys = keysOf(batch, grain);
  const keep = new Uint8Array(batch.numRows);
  let dropped = 0;
  for (let r = 0; r < batch.numRows; r++) {
    if (keys.hasNull(r)) {
      keep[r] = 1;
      continue;
    }
    keys.key(r);
    if (owned?.has(keys.bytes, keys.start, keys.end)) {
      dropped++;
      continue;
    }
    keep[r] = 1;
    taken?.add(keys.bytes, keys.start, keys.end);
  }
  return { batch: dropped ? filterRows(batch, keep) : batch, dropped };
}

/** Meta key of a fact manifest: rows moved out to newer batches, by the ds that took them. */
export const MOVED_OUT_META = 'moved_out';

/**
 * Meta key of a fact manifest rewritten by moves: when its own build committed. Moving rows out
 * only removes rows, so the quality checks of that build still vouch for the rest (the load's
 * quality gate compares with this time, not the rewrite's).
 */
export const BUILT_AT_META = 'built_at';

/** An older fact partition rewritten without the grains a newer batch took over. */
export interface MovedRows {
  readonly ds: string;
  readonly rows: number;
  /** Rows the rewritten partition holds. */
  readonly remaining: number;
}

/**
 * Rewrites each older fact partition that holds any grain of `taken` without those rows (a new
 * manifest replaces the old one atomically; rows stay in their order). A partition without such
 * grains is only read (its grain columns), never written. The rewritten manifest keeps the old
 * meta and records under MOVED_OUT_META how many rows moved to `ds`.
 */
export async function moveTakenGrains(
  lake: Lake,
  older: readonly Manifest[],
  grain: readonly string[],
  taken: KeySet,
  writer: { readonly ds: string; readonly step: string; readonly runId: string },
): Promise<MovedRows[]> {
  const moved: MovedRows[] = [];
  if (taken.size === 0) return moved;
  for (const m of older) {
    let hits = 0;
    for await (const b of lake.readManifestBatches(m, { columns: [...grain] })) {
      const keys = keysOf(b, grain);
      for (let r = 0; r < b.numRows; r++) {
        if (keys.hasNull(r)) continue;
        keys.key(r);
        if (taken.has(keys.bytes, keys.start, keys.end)) hits++;
      }
    }
    if (hits === 0) continue;
    const out = lake.openPartition({ dataset: m.dataset, ds: m.ds, step: writer.step, runId: writer.runId });
    let remaining = 0;
    try {
      let wrote = false;
      for await (const b of lake.readManifestBatches(m)) {
        const keys = keysOf(b, grain);
        const keep = new Uint8Array(b.numRows);
        for (let r = 0; r < b.numRows; r++) {
          if (keys.hasNull(r)) keep[r] = 1;
          else {
            keys.key(r);
            keep[r] = taken.has(keys.bytes, keys.start, keys.end) ? 0 : 1;
          }
        }
        const kept = filterRows(b, keep);
        // A partition left empty still commits with its schema: "no rows", not "missing".
        if (kept.numRows > 0 || !wrote) {
          await out.write(kept);
          wrote = true;
        }
        remaining += kept.numRows;
      }
      const before = (m.meta[MOVED_OUT_META] ?? {}) as Record<string, number>;
      await out.commit({ ...m.meta, [BUILT_AT_META]: m.meta[BUILT_AT_META] ?? m.committed_at, [MOVED_OUT_META]: { ...before, [writer.ds]: (before[writer.ds] ?? 0) + hits } });
    } catch (e) {
      await out.abort(e).catch(() => undefined);
      throw e;
    }
    moved.push({ ds: m.ds, rows: hits, remaining });
  }
  return moved;
}
