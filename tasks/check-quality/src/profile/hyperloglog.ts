/**
 * A HyperLogLog distinct-count sketch (Flajolet et al. 2007) with 2^precision one-byte registers:
 * precision 14 is 16 KiB per column and a standard error of 1.04/sqrt(2^14) = 0.81%.
 * Values are hashed to 64 bits (two 32-bit halves); the top `precision` bits pick a register and
 * the position of the first 1 bit in the remaining bits is the register's candidate. Small
 * cardinalities use linear counting, as the paper says; with 64-bit hashes no large-range
 * correction is needed. Deterministic: the same values give the same estimate.
 */
export class HyperLogLog {
  private readonly registers: Uint8Array;
  private readonly m: number;
  private readonly indexShift: number;
  private readonly restBits: number;

  constructor(readonly precision = 14) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 18) throw new RangeError(`HyperLogLog precision must be 4..18, not ${precision}`);
    this.m = 1 << precision;
    this.registers = new Uint8Array(this.m);
    this.indexShift = 32 - precision;
    this.restBits = 32 - precision;
  }

  /** Adds a value already hashed to 64 bits (hi, lo: unsigned 32-bit halves). */
  addHash(hi: number, lo: number): void {
    const index = hi >>> this.indexShift;
    const rest = hi & ((1 << this.restBits) - 1);
    // Leading zeros of the (restBits + 32)-bit word rest:lo, plus one.
    const rank = rest !== 0 ? Math.clz32(rest) - this.precision + 1 : this.restBits + Math.clz32(lo >>> 0) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  add(value: string | number): void {
    if (typeof value === 'string') hashString(value);
    else hashNumber(value);
    this.addHash(HASH[0]!, HASH[1]!);
  }

  /** Folds another sketch of the same precision into this one (the union of both value sets). */
  merge(other: HyperLogLog): void {
    if (other.precision !== this.precision) throw new RangeError(`cannot merge HyperLogLog of precision ${other.precision} into ${this.precision}`);
    for (let i = 0; i < this.m; i++) if (other.registers[i]! > this.registers[i]!) this.registers[i] = other.registers[i]!;
  }

  /** The estimated number of distinct values added, rounded. */
  estimate(): number {
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }
}

/** The last hash computed, [hi, lo]: returned through a shared array so the hot path allocates nothing. */
const HASH = new Uint32Array(2);
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** cyrb53's two-lane multiply-xorshift over UTF-16 code units: 64 well-mixed bits into HASH. */
export function hashString(s: string): Uint32Array {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  HASH[0] = h1;
  HASH[1] = h2;
  return HASH;
}

/** Characters (code points) of the last value hashUtf8 hashed. */
export const UTF8_CHARS = new Uint32Array(1);

/**
 * hashString over the UTF-8 bytes of bytes[start, end) instead of UTF-16 units: the same hash for
 * ASCII text, and for any text always the same hash for the same bytes. Also counts the value's
 * characters (bytes that are not UTF-8 continuation bytes) into UTF8_CHARS.
 */
export function hashUtf8(bytes: Uint8Array, start: number, end: number): Uint32Array {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let chars = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 2654435761);
    h2 = Math.imul(h2 ^ b, 1597334677);
    if ((b & 0xc0) !== 0x80) chars++;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  HASH[0] = h1;
  HASH[1] = h2;
  UTF8_CHARS[0] = chars;
  return HASH;
}

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A number's 64 IEEE bits, mixed into HASH (0 and -0 hash alike). */
export function hashNumber(n: number): Uint32Array {
  F64[0] = n === 0 ? 0 : n;
  const a = fmix32(U32[0]! ^ 0x9e3779b9);
  const b = fmix32(U32[1]! ^ a ^ 0x7f4a7c15);
  HASH[0] = fmix32(a ^ Math.imul(b, 0x27d4eb2f));
  HASH[1] = b;
  return HASH;
}
