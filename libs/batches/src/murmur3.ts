/**
 * MurmurHash3 x86_128 (Austin Appleby, public domain), seed 0, over src[start, end): the 128-bit
 * row hash. Written here in 32-bit integer arithmetic, so a row of ~100 bytes hashes in about a
 * quarter of the time of a native SHA-256 call (most of which is the call itself). Not a
 * cryptographic hash: it detects changed rows; the mask step re-keys it with HMAC where it must
 * not reveal the values (docs/lake.md).
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const word = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** The hash into out as four 32-bit words h1..h4 (the reference implementation's output order). */
export function murmur3x86_128(src: Uint8Array, start: number, end: number, out: Uint32Array): Uint32Array {
  const len = end - start;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocksEnd = start + (len & ~15);
  let i = start;
  for (; i < blocksEnd; i += 16) {
    let k1 = word(src, i);
    let k2 = word(src, i + 4);
    let k3 = word(src, i + 8);
    let k4 = word(src, i + 12);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = rotl(h1, 19) + h2;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = rotl(h2, 17) + h3;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = rotl(h3, 15) + h4;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = rotl(h4, 13) + h1;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }
  const tail = end - i;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  // The tail's bytes, little-endian into k1..k4, mixed as the reference's fall-through switch does.
  for (let t = tail - 1; t >= 0; t--) {
    const b = src[i + t]!;
    if (t >= 12) k4 ^= b << ((t - 12) * 8);
    else if (t >= 8) k3 ^= b << ((t - 8) * 8);
    else if (t >= 4) k2 ^= b << ((t - 4) * 8);
    else k1 ^= b << (t * 8);
  }
  if (tail > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (tail > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (tail > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
  return out;
}

const HEX = new TextEncoder().encode('0123456789abcdef');

/** The hash as 32 lowercase hex digits into dst at `at`: the bytes of h1..h4, each little-endian. */
export function writeHashHex(h: Uint32Array, dst: Uint8Array, at: number): void {
  for (let w = 0; w < 4; w++) {
    const x = h[w]!;
    for (let b = 0; b < 32; b += 8) {
      const byte = (x >>> b) & 0xff;
      dst[at++] = HEX[byte >> 4]!;
      dst[at++] = HEX[byte & 15]!;
    }
  }
}
