import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes gathered per bucket before they go to its spill file, at most. */
const CHUNK_BYTES = 1 << 20;
/**
 * What all buckets' chunks may hold together: more buckets (a larger input) get smaller chunks,
 * down to MIN_CHUNK_BYTES, so memory does not grow with the input (at 1 MiB each, 50 M rows in
 * 50 buckets held 50 MB of chunks against 10 MB at 10 M).
 */
const CHUNKS_BUDGET = 16 << 20;
const MIN_CHUNK_BYTES = 64 << 10;

/** The chunk size of each of `count` buckets (pure). */
export function spillChunkBytes(count: number): number {
  return Math.max(MIN_CHUNK_BYTES, Math.min(CHUNK_BYTES, Math.floor(CHUNKS_BUDGET / count)));
}

/**
 * Records split by key hash into buckets of about `recordsPerBucket` each, so work that must see
 * every record of a key together (deduplication, uniqueness) can do it one bucket at a time,
 * holding one bucket in memory whatever the input's size. With one bucket nothing is spilled;
 * with more, each bucket's records go to its own temp file in chunks of spillChunkBytes(count).
 */
export class SpillBuckets {
  readonly count: number;
  private readonly dir?: string;
  private readonly files: (number | undefined)[];
  private readonly chunks: Buffer[];
  private readonly used: number[];
  /** One bucket, no spilling: the full chunks. */
  private readonly held: Buffer[][];
  /** Records written per bucket. */
  readonly records: number[];
  /** Bytes of each bucket's chunk. */
  readonly chunkBytes: number;
  /** What take() reads a spilled bucket into. */
  private readBuffer = Buffer.allocUnsafe(0);

  /** expectedRecords sizes the split; tmpDir defaults to the OS temp folder; `name` prefixes the temp folder. */
  constructor(expectedRecords: number, recordsPerBucket: number, opts: { readonly tmpDir?: string; readonly name?: string } = {}) {
    this.count = Math.max(1, Math.ceil(expectedRecords / recordsPerBucket));
    this.chunkBytes = spillChunkBytes(this.count);
    if (this.count > 1) this.dir = mkdtempSync(join(opts.tmpDir ?? tmpdir(), `salesflow-${opts.name ?? 'spill'}-`));
    this.files = new Array<number | undefined>(this.count).fill(undefined);
    this.chunks = Array.from({ length: this.count }, () => Buffer.allocUnsafe(0));
    this.used = new Array<number>(this.count).fill(0);
    this.held = Array.from({ length: this.count }, () => []);
    this.records = new Array<number>(this.count).fill(0);
  }

  /** The bucket of a key hash (32 bits); multiplying spreads the high bits, so a bucket's keys still differ in their low bits. */
  bucketOf(hash: number): number {
    return this.count === 1 ? 0 : Math.floor(((Math.imul(hash, 0x9e3779b1) >>> 0) / 2 ** 32) * this.count);
  }

  /**
   * Room for one record of `bytes` bytes in bucket b: write it into `chunk` from `at`, then call
   * written(b, bytes).
   */
  reserve(b: number, bytes: number): { chunk: Buffer; at: number } {
    let chunk = this.chunks[b]!;
    if (this.used[b]! + bytes > chunk.length) {
      this.flush(b);
      // A spilled chunk is on disk and can be refilled; a held one is kept, so a new one is needed.
      if (!this.dir || chunk.length < bytes) chunk = this.chunks[b] = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    }
    return { chunk, at: this.used[b]! };
  }

  written(b: number, bytes: number): void {
    this.used[b]! += bytes;
    this.records[b]!++;
  }

  /**
   * Every record of bucket b, in the order written, as one or more buffers of whole records; the
   * bucket's memory and file are released. A spilled bucket is read into one buffer reused by
   * every take (grown to the largest bucket): the records are valid until the next take, and the
   * buckets settled one after another do not leave a bucket-sized garbage buffer each.
   */
  take(b: number): Buffer[] {
    this.flush(b);
    this.chunks[b] = Buffer.allocUnsafe(0);
    const fd = this.files[b];
    if (fd === undefined) {
      const parts = this.held[b]!;
      this.held[b] = [];
      return parts;
    }
    this.files[b] = undefined;
    try {
      const size = fstatSync(fd).size;
      if (this.readBuffer.length < size) this.readBuffer = Buffer.allocUnsafe(size);
      let at = 0;
      while (at < size) {
        const n = readSync(fd, this.readBuffer, at, size - at, at);
        if (n === 0) throw new Error(`spill file ${this.pathOf(b)} ended at ${at} of ${size} bytes`);
        at += n;
      }
      return [this.readBuffer.subarray(0, size)];
    } finally {
      closeSync(fd);
      rmSync(this.pathOf(b), { force: true });
    }
  }

  /** Removes the spill files and lets the read buffer go; safe to call more than once. */
  dispose(): void {
    this.readBuffer = Buffer.allocUnsafe(0);
    for (let b = 0; b < this.count; b++) {
      const fd = this.files[b];
      if (fd !== undefined) closeSync(fd);
      this.files[b] = undefined;
      this.held[b] = [];
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(b: number): void {
    const n = this.used[b]!;
    if (n === 0) return;
    if (this.dir) {
      this.files[b] ??= openSync(this.pathOf(b), 'w+');
      writeSync(this.files[b]!, this.chunks[b]!, 0, n);
    } else {
      this.held[b]!.push(this.chunks[b]!.subarray(0, n));
    }
    this.used[b] = 0;
  }

  private pathOf(b: number): string {
    return join(this.dir!, `bucket-${b}`);
  }
}
