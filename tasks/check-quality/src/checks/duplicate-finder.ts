import { hashBytes, KeySet, SpillBuckets } from '@salesflow/batches';
import type { SampleRow } from './quality-check-result';

/** Keys held in memory at once; a larger table is split into buckets of about this many, spilled to disk. */
export const KEYS_IN_MEMORY = 1 << 19;
/** A spilled record: key hash (u32), key length (u32), key bytes, row (f64). */
const RECORD_OVERHEAD = 16;

/** What a DuplicateFinder found once every row was added. */
export interface Duplicates {
  readonly distinct: number;
  /** Rows whose key an earlier row has. */
  readonly repeated: number;
  /** The first of them (by row), as samples, when the keys were held in memory. */
  readonly samples: readonly SampleRow[];
  /**
   * When the keys were spilled: the first repeated rows (by row, at most the sample limit), whose
   * samples the caller makes from a second read of the table. Empty when nothing repeats.
   */
  readonly rowsToSample: readonly number[];
}

/**
 * Counts rows whose key an earlier row already had, keeping samples of the first ones. Up to
 * KEYS_IN_MEMORY expected rows it holds the keys in one KeySet and makes each repeat's sample as
 * it comes. Beyond, memory stays flat whatever the size: keys go to disk in buckets by hash and
 * finish() settles one bucket at a time. A repeat is only known then, after its batch went, so
 * finish() names the first repeated rows instead (rowsToSample) and the caller reads those rows
 * again: a table without repeats, the usual case, is read once and no sample is ever made.
 */
export class DuplicateFinder {
  private readonly seen?: KeySet;
  private readonly buckets?: SpillBuckets;
  private repeated = 0;
  /** The first repeats by row; `sample` is made at once when the keys are in memory. */
  private readonly firsts: { row: number; sample?: SampleRow }[] = [];

  constructor(
    expectedRows: number,
    private readonly sampleLimit: number,
    opts: { readonly tmpDir?: string; readonly keysInMemory?: number; readonly expectedKeyBytes?: number } = {},
  ) {
    const inMemory = opts.keysInMemory ?? KEYS_IN_MEMORY;
    if (expectedRows <= inMemory) this.seen = new KeySet(Math.max(expectedRows, 1024), opts.expectedKeyBytes);
    else this.buckets = new SpillBuckets(expectedRows, inMemory, { tmpDir: opts.tmpDir, name: 'unique' });
  }

  /**
   * Adds row `row` (0-based, increasing) with the key in key[start, end); `sampleOf(at)` makes
   * its sample row when needed (one function per batch, `at` the row within it: no closure per
   * row). It is only called while the keys are in memory.
   */
  add(key: Uint8Array, start: number, end: number, row: number, sampleOf: (at: number) => SampleRow, at: number): void {
    if (this.seen) {
      if (!this.seen.add(key, start, end)) this.repeat(row, () => sampleOf(at));
      return;
    }
    const hash = hashBytes(key, start, end);
    const len = end - start;
    const size = len + RECORD_OVERHEAD;
    const buckets = this.buckets!;
    const b = buckets.bucketOf(hash);
    const { chunk, at: to } = buckets.reserve(b, size);
    chunk.writeUInt32LE(hash, to);
    chunk.writeUInt32LE(len, to + 4);
    for (let i = 0; i < len; i++) chunk[to + 8 + i] = key[start + i]!;
    chunk.writeDoubleLE(row, to + 8 + len);
    buckets.written(b, size);
  }

  /** Settles the spilled buckets (removing their files) and returns what was found. */
  finish(): Duplicates {
    let distinct = this.seen?.size ?? 0;
    const buckets = this.buckets;
    if (buckets) {
      try {
        // One set, sized for the largest bucket and emptied between buckets: settling allocates it once.
        const keys = new KeySet(Math.max(...buckets.records, 1024));
        for (let b = 0; b < buckets.count; b++) {
          keys.clear();
          distinct += this.settle(buckets.take(b), keys);
        }
      } finally {
        buckets.dispose();
      }
    }
    const firsts = this.firsts;
    return {
      distinct,
      repeated: this.repeated,
      samples: this.seen ? firsts.map((s) => s.sample!) : [],
      rowsToSample: this.seen ? [] : firsts.map((s) => s.row),
    };
  }

  /** Removes spill files (for a run that stops early); finish() does it too. */
  dispose(): void {
    this.buckets?.dispose();
  }

  /** One bucket's records, in row order, into an empty set: a key already in it marks a repeat. Returns the bucket's distinct keys. */
  private settle(parts: readonly Buffer[], keys: KeySet): number {
    for (const buf of parts) {
      let at = 0;
      while (at < buf.length) {
        const hash = buf.readUInt32LE(at);
        const len = buf.readUInt32LE(at + 4);
        const start = at + 8;
        at = start + len + 8;
        if (!keys.addHashed(hash, buf, start, start + len)) this.repeat(buf.readDoubleLE(start + len));
      }
    }
    return keys.size;
  }

  /** Counts a repeat and keeps it if it is among the first sampleLimit rows so far (with its sample, when one is made now). */
  private repeat(row: number, sample?: () => SampleRow): void {
    this.repeated++;
    const s = this.firsts;
    if (s.length === this.sampleLimit && (this.sampleLimit === 0 || row > s[s.length - 1]!.row)) return;
    let i = s.length;
    while (i > 0 && s[i - 1]!.row > row) i--;
    s.splice(i, 0, { row, sample: sample?.() });
    if (s.length > this.sampleLimit) s.pop();
  }
}
