import { copyBytes } from './copy-bytes';

/** Keys per slot before the table doubles; linear probing stays short below this load. */
const MAX_LOAD = 0.7;
/** Key offsets are 32-bit. */
const MAX_ARENA_BYTES = 0xffff_ffff;

/**
 * A set of byte-string keys in a few typed arrays: the keys' bytes in one growing arena, and an
 * open-addressing table (linear probing) of (32-bit hash, key number) pairs. The hash sits next
 * to the key number so that a probe touches one cache line; the arena is read only when the
 * hashes match.
 *
 * Why not a Set of strings: a V8 Set holds at most 2^24 (16.7 M) entries, then throws, and each
 * string entry costs several times its length on the heap. This one costs the key's bytes plus
 * 4 bytes of offset and 8 to 23 bytes of table per key (10 M keys of 11 bytes: about 270 MB at
 * the worst point of growth), limited only by the arena (4 GiB of key bytes).
 */
export class KeySet {
  private arena: Uint8Array;
  private used = 0;
  /** Key k's bytes are arena[starts[k], starts[k + 1]). */
  private starts: Uint32Array;
  /** Slot s is table[2s] = hash, table[2s + 1] = key number + 1 (0: empty). */
  private table: Int32Array;
  private mask: number;
  private count = 0;

  /**
   * expectedKeys and expectedKeyBytes (their total length) size the arrays up front: a set sized
   * right never grows, so it never holds an old and a new copy of its arrays at once (10 M keys:
   * about 300 MB at the peak instead of about 420 MB).
   */
  constructor(expectedKeys = 1024, expectedKeyBytes = expectedKeys * 8) {
    const capacity = nextPowerOfTwo(Math.ceil(expectedKeys / MAX_LOAD));
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    this.starts = new Uint32Array(Math.max(16, expectedKeys) + 1);
    this.arena = new Uint8Array(Math.min(MAX_ARENA_BYTES, Math.max(256, Math.ceil(expectedKeyBytes))));
  }

  /** Number of distinct keys added. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the set's arrays (an estimate of its memory). */
  get byteLength(): number {
    return this.arena.byteLength + this.starts.byteLength + this.table.byteLength;
  }

  /**
   * Adds the key held in src[start, end). Returns true when it is new, false when it was
   * already in the set. The bytes are copied; src may be reused afterwards.
   */
  add(src: Uint8Array, start: number, end: number): boolean {
    return this.addHashed(hashBytes(src, start, end), src, start, end);
  }

  /** add() with the key's hashBytes already computed (a caller that needed it anyway saves hashing twice). */
  addHashed(hashValue: number, src: Uint8Array, start: number, end: number): boolean {
    return this.addOrNumber(hashValue, src, start, end) < 0;
  }

  /**
   * Adds the key (with its hashBytes already computed) if it is new, in one probe: returns
   * -(number + 1) for a key just added, or its number (>= 0) when it was already there.
   */
  addOrNumber(hashValue: number, src: Uint8Array, start: number, end: number): number {
    const hash = hashValue | 0;
    const table = this.table;
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const entry = table[2 * slot + 1]!;
      if (entry === 0) break;
      if (table[2 * slot] === hash && this.equals(entry - 1, src, start, end)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const k = this.count;
    this.store(k, src, start, end);
    table[2 * slot] = hash;
    table[2 * slot + 1] = k + 1;
    this.count = k + 1;
    if (this.count > (mask + 1) * MAX_LOAD) this.rehash((mask + 1) * 2);
    return -(k + 1);
  }

  /** Empties the set, keeping its arrays: a set reused for one bucket after another allocates nothing more. */
  clear(): void {
    this.table.fill(0);
    this.count = 0;
    this.used = 0;
  }

  /** Whether the key held in src[start, end) is in the set. */
  has(src: Uint8Array, start: number, end: number): boolean {
    return this.keyNumberOf(src, start, end) >= 0;
  }

  /**
   * The number of the key held in src[start, end): keys are numbered 0, 1, 2... in the order they
   * were first added, so callers can keep values per key in parallel typed arrays. -1 when absent.
   */
  keyNumberOf(src: Uint8Array, start: number, end: number): number {
    const hash = hashBytes(src, start, end) | 0;
    const table = this.table;
    let slot = hash & this.mask;
    for (;;) {
      const entry = table[2 * slot + 1]!;
      if (entry === 0) return -1;
      if (table[2 * slot] === hash && this.equals(entry - 1, src, start, end)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private equals(k: number, src: Uint8Array, start: number, end: number): boolean {
    const from = this.starts[k]!;
    const len = this.starts[k + 1]! - from;
    if (len !== end - start) return false;
    const arena = this.arena;
    for (let i = 0; i < len; i++) if (arena[from + i] !== src[start + i]) return false;
    return true;
  }

  private store(k: number, src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.used + len > MAX_ARENA_BYTES) throw new RangeError(`KeySet holds at most ${MAX_ARENA_BYTES} bytes of keys (${this.count} keys so far)`);
    if (this.used + len > this.arena.length) this.arena = grow(this.arena, this.used + len);
    if (k + 2 > this.starts.length) this.starts = grow(this.starts, k + 2);
    const at = this.used;
    copyBytes(this.arena, at, src, start, end);
    this.starts[k] = at;
    this.used = at + len;
    this.starts[k + 1] = this.used;
  }

  private rehash(capacity: number): void {
    const old = this.table;
    const table = new Int32Array(capacity * 2);
    const mask = capacity - 1;
    for (let s = 0; s < old.length; s += 2) {
      const entry = old[s + 1]!;
      if (entry === 0) continue;
      const hash = old[s]!;
      let slot = hash & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = hash;
      table[2 * slot + 1] = entry;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** FNV-1a over the bytes, then murmur3's finalizer so that the low bits (the slot) mix well. */
export function hashBytes(src: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

function grow<T extends Uint8Array | Uint32Array>(a: T, atLeast: number): T {
  let size = a.length * 2;
  while (size < atLeast) size *= 2;
  if (a instanceof Uint8Array) size = Math.min(size, MAX_ARENA_BYTES);
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
