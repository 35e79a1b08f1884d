import { hashBytes, KeySet, SpillBuckets } from '@salesflow/batches';

/** Keys resolved in memory at once: the input's keys are split into buckets of about this many. */
export const KEYS_PER_BUCKET = 1 << 20;
/** A record: key hash (u32), key length (u32), key bytes, ordering value (f64), row number (u32). */
const RECORD_OVERHEAD = 20;

/**
 * For each key, which row wins deduplication: the one with the highest ordering value, ties going
 * to the later row. Filled in a first pass over the input (offer), settled once (resolve), then
 * read in a second pass (isWinner) by row number.
 *
 * With one bucket (up to about a million rows) the keys are settled as they are offered. Beyond,
 * memory stays flat whatever the input's size: offered (key, order, row) records go to one of
 * `ceil(expectedRows / KEYS_PER_BUCKET)` buckets by key hash, spilled to temp files when there is
 * more than one, and resolve() settles one bucket at a time (a KeySet of at most ~1 M keys), then
 * keeps only one bit per row: whether it won. 10 M rows hold 1.25 MB of bits plus one bucket's
 * keys (~60 MB) at the peak, and spill about 25 bytes per row plus the key's length to disk.
 */
export class LatestByKey {
  /** More than one bucket: the offered records, spilled to temp files by key hash. */
  private readonly spill?: SpillBuckets;
  private winners?: Uint8Array;
  private maxRow = -1;
  /** One bucket (no spilling): the keys are settled as they are offered. */
  private direct?: Bucket;

  /** expectedRows sizes the buckets (the input partition's row count); tmpDir defaults to the OS temp folder. */
  constructor(expectedRows: number, opts: { readonly tmpDir?: string } = {}) {
    if (expectedRows <= KEYS_PER_BUCKET) this.direct = new Bucket(expectedRows);
    else this.spill = new SpillBuckets(expectedRows, KEYS_PER_BUCKET, { tmpDir: opts.tmpDir, name: 'latest' });
  }

  /** Records row number `row` (counted over the whole input) with its ordering value (null: lowest). */
  offer(key: Uint8Array, start: number, end: number, order: number | null, row: number): void {
    if (this.winners) throw new Error('offer() after resolve()');
    if (row > this.maxRow) this.maxRow = row;
    if (this.direct) return this.direct.offer(hashBytes(key, start, end), key, start, end, order ?? -Infinity, row);
    const spill = this.spill!;
    const len = end - start;
    const hash = hashBytes(key, start, end);
    const b = spill.bucketOf(hash);
    const { chunk, at } = spill.reserve(b, len + RECORD_OVERHEAD);
    chunk.writeUInt32LE(hash, at);
    chunk.writeUInt32LE(len, at + 4);
    for (let i = 0; i < len; i++) chunk[at + 8 + i] = key[start + i]!;
    chunk.writeDoubleLE(order ?? -Infinity, at + 8 + len);
    chunk.writeUInt32LE(row, at + 16 + len);
    spill.written(b, len + RECORD_OVERHEAD);
  }

  /** Settles the winner of every key, one bucket at a time; the spill files are removed. */
  resolve(): void {
    const winners = new Uint8Array((this.maxRow >> 3) + 1);
    if (this.direct) {
      this.direct.markWinners(winners);
      // Only the bits are needed from now on: the keys go.
      this.direct = undefined;
      this.winners = winners;
      return;
    }
    const spill = this.spill!;
    try {
      // One bucket's arrays, sized for the largest and emptied between buckets: settling allocates them once.
      const bucket = new Bucket(Math.max(...spill.records));
      for (let b = 0; b < spill.count; b++) {
        bucket.clear();
        settleBucket(spill.take(b), bucket, winners);
      }
    } finally {
      spill.dispose();
    }
    this.winners = winners;
  }

  /** Whether row number `row` is the one kept for its key (after resolve()). */
  isWinner(row: number): boolean {
    const w = this.winners;
    if (!w) throw new Error('isWinner() before resolve()');
    return row <= this.maxRow && (w[row >> 3]! & (1 << (row & 7))) !== 0;
  }

  /** Removes the spill files; safe to call more than once (the step calls it when it fails). */
  dispose(): void {
    this.spill?.dispose();
  }
}

/**
 * The latest row of each key among the records offered so far: keys in a KeySet, and per key
 * number its best ordering value and row. Records are compared in the order they come.
 */
class Bucket {
  private readonly keys: KeySet;
  private order: Float64Array;
  private rows: Uint32Array;

  constructor(expectedKeys: number) {
    this.keys = new KeySet(Math.max(1024, expectedKeys));
    this.order = new Float64Array(Math.max(1024, expectedKeys));
    this.rows = new Uint32Array(this.order.length);
  }

  /** Offers the key (hashBytes of it given) with its ordering value and row. */
  offer(hash: number, key: Uint8Array, start: number, end: number, o: number, row: number): void {
    const n = this.keys.addOrNumber(hash, key, start, end);
    if (n < 0) {
      const k = -n - 1;
      if (k === this.order.length) this.grow();
      this.order[k] = o;
      this.rows[k] = row;
    } else {
      const k = n;
      if (o > this.order[k]! || (o === this.order[k] && row > this.rows[k]!)) {
        this.order[k] = o;
        this.rows[k] = row;
      }
    }
  }

  /** Forgets every key, keeping the arrays. */
  clear(): void {
    this.keys.clear();
  }

  /** Sets the bit of each key's winning row. */
  markWinners(winners: Uint8Array): void {
    const rows = this.rows;
    for (let k = 0; k < this.keys.size; k++) winners[rows[k]! >> 3]! |= 1 << (rows[k]! & 7);
  }

  private grow(): void {
    const order = new Float64Array(this.order.length * 2);
    order.set(this.order);
    const rows = new Uint32Array(order.length);
    rows.set(this.rows);
    this.order = order;
    this.rows = rows;
  }
}

/** Finds the latest row of each key among one bucket's records (into an empty bucket) and sets its bit in `winners`. */
function settleBucket(parts: readonly Buffer[], bucket: Bucket, winners: Uint8Array): void {
  for (const buf of parts) {
    let at = 0;
    while (at < buf.length) {
      const hash = buf.readUInt32LE(at);
      const len = buf.readUInt32LE(at + 4);
      const start = at + 8;
      const o = buf.readDoubleLE(start + len);
      const row = buf.readUInt32LE(start + len + 8);
      at = start + len + 12;
      bucket.offer(hash, buf, start, start + len, o, row);
    }
  }
  bucket.markWinners(winners);
}
