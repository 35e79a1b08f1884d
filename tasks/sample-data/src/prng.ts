/** A seeded pseudo-random number generator; the only source of randomness in the generator. */
export interface Prng {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/**
 * Creates an sfc32 generator seeded from `seed` and a stream name.
 *
 * Each entity draws from its own stream ("customers", "transactions", ...) so that,
 * for example, changing the transaction count never changes the customers. sfc32 is
 * used rather than mulberry32 because its period (about 2^128) is far beyond the
 * roughly 10^8 draws of a scale-1000 run, and its output passes PractRand.
 */
export function createPrng(seed: number, stream = ''): Prng {
  let [a, b, c, d] = hashSeed(`${seed}/${stream}`);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 still correlate with the seed words; the reference implementation discards them.
  for (let i = 0; i < 15; i++) next();
  return Object.freeze({
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  });
}

/** cyrb128: spreads a short string over four 32-bit words, so nearby seeds give unrelated streams. */
function hashSeed(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 | 0, h2 | 0, h3 | 0, h4 | 0];
}
