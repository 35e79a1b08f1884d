import { hashBytes, KeySet, SpillBuckets } from '@salesflow/batches';
import type { SampleRow } from './quality-check-result';

/** Keys held in memory at once; a larger table is split into buckets of about this many, spilled to disk. */
export const KEYS_IN_MEMORY = 1 << 19;
/** The filter that flags rows whose key may have been seen: 2^23 words of 32 bits (32 MiB). */
const FILTER_WORD_BITS = 23;
/** A spilled record: key hash (u32), key length (u32), key bytes, row (f64), sample length (u32), sample JSON. */
const RECORD_OVERHEAD = 20;

/** What a DuplicateFinder found once every row was added. */
export interface Duplicates {
  readonly distinct: number;
  /** Rows whose key an earlier row has. */
  readonly repeated: number;
  /** The first of them (by row), as samples. */
  readonly samples: readonly SampleRow[];
}

/**
 * Counts rows whose key an earlier row already had, keeping samples of the first ones. Up to
 * KEYS_IN_MEMORY expected rows it holds the keys in one KeySet. Beyond, memory stays flat
 * whatever the size: keys go to disk in buckets by hash and finish() settles one bucket at a
 * time. A fixed-size filter flags, while rows arrive, each row whose key may have been seen (every
 * repeat, and a few others); only those rows' samples are made and spilled with them, so the
 * samples of the repeats are there to report without reading the table again.
 */
export class DuplicateFinder {
  private readonly seen?: KeySet;
  private readonly buckets?: SpillBuckets;
  private readonly filter?: Int32Array;
  private repeated = 0;
  private readonly samples: { row: number; sample: SampleRow }[] = [];

  constructor(
    expectedRows: number,
    private readonly sampleLimit: number,
    opts: { readonly tmpDir?: string; readonly keysInMemory?: number; readonly expectedKeyBytes?: number } = {},
  ) {
    const inMemory = opts.keysInMemory ?? KEYS_IN_MEMORY;
    if (expectedRows <= inMemory) this.seen = new KeySet(Math.max(expectedRows, 1024), opts.expectedKeyBytes);
    else {
      this.buckets = new SpillBuckets(expectedRows, inMemory, { tmpDir: opts.tmpDir, name: 'unique' });
      this.filter = new Int32Array(1 << FILTER_WORD_BITS);
    }
  }

  /**
   * Adds row `row` (0-based, increasing) with the key in key[start, end); `sampleOf(at)` makes
   * its sample row when needed (one function per batch, `at` the row within it: no closure per row).
   */
  add(key: Uint8Array, start: number, end: number, row: number, sampleOf: (at: number) => SampleRow, at: number): void {
    if (this.seen) {
      if (!this.seen.add(key, start, end)) this.repeat(row, () => sampleOf(at));
      return;
    }
    const hash = hashBytes(key, start, end);
    const text = this.maybeSeen(hash) ? Buffer.from(JSON.stringify(sampleOf(at)), 'utf8') : undefined;
    const len = end - start;
    const size = len + RECORD_OVERHEAD + (text?.length ?? 0);
    const buckets = this.buckets!;
    const b = buckets.bucketOf(hash);
    const { chunk, at: to } = buckets.reserve(b, size);
    chunk.writeUInt32LE(hash, to);
    chunk.writeUInt32LE(len, to + 4);
    for (let i = 0; i < len; i++) chunk[to + 8 + i] = key[start + i]!;
    chunk.writeDoubleLE(row, to + 8 + len);
    chunk.writeUInt32LE(text?.length ?? 0, to + 16 + len);
    if (text) text.copy(chunk, to + RECORD_OVERHEAD + len);
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
    return { distinct, repeated: this.repeated, samples: this.samples.map((s) => s.sample) };
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
        const row = buf.readDoubleLE(start + len);
        const textLength = buf.readUInt32LE(start + len + 8);
        const textAt = at + RECORD_OVERHEAD + len;
        at = textAt + textLength;
        if (keys.addHashed(hash, buf, start, start + len)) continue;
        // The filter flags every repeat, so its sample was spilled with it.
        this.repeat(row, () => JSON.parse(buf.toString('utf8', textAt, textAt + textLength)) as SampleRow);
      }
    }
    return keys.size;
  }

  /** Counts a repeat and keeps its sample if it is among the first sampleLimit rows so far. */
  private repeat(row: number, sample: () => SampleRow): void {
    this.repeated++;
    const s = this.samples;
    if (s.length === this.sampleLimit && (this.sampleLimit === 0 || row > s[s.length - 1]!.row)) return;
    let i = s.length;
    while (i > 0 && s[i - 1]!.row > row) i--;
    s.splice(i, 0, { row, sample: sample() });
    if (s.length > this.sampleLimit) s.pop();
  }

  /**
   * Whether the filter had the key's bits set (it may have been seen); sets them. The three bits
   * are in one 32-bit word, so a key costs one cache miss rather than three (a blocked Bloom
   * filter: at 10 M keys in 32 MiB, about 0.1% of new keys are flagged).
   */
  private maybeSeen(hash: number): boolean {
    const f = this.filter!;
    // The word from the mixed hash's high bits, the three bits from its low ones: independent choices.
    const word = Math.imul(hash, 0x9e3779b1) >>> (32 - FILTER_WORD_BITS);
    const mask = (1 << (hash & 31)) | (1 << ((hash >>> 5) & 31)) | (1 << ((hash >>> 10) & 31));
    const before = f[word]!;
    f[word] = before | mask;
    return (before & mask) === mask;
  }
}
