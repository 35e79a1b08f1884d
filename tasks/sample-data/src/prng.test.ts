import { createPrng } from './prng';

const draw = (seed: number, stream: string, n: number): number[] => {
  const prng = createPrng(seed, stream);
  return Array.from({ length: n }, () => prng.next());
};

describe('createPrng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    expect(draw(42, 'customers', 1000)).toEqual(draw(42, 'customers', 1000));
  });

  it('gives unrelated sequences for another seed or another stream', () => {
    const base = draw(42, 'customers', 100);
    expect(draw(43, 'customers', 100)).not.toEqual(base);
    expect(draw(42, 'transactions', 100)).not.toEqual(base);
  });

  it('pins the first values, so a change to the algorithm cannot pass unnoticed', () => {
    expect(draw(42, '', 3).map((x) => x.toFixed(12))).toEqual(['0.925185890403', '0.238425651565', '0.462948949542']);
  });

  it('draws floats in [0, 1) with a mean near one half', () => {
    const values = draw(7, 'x', 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 2);
  });

  it('draws integers over the whole inclusive range and picks every element', () => {
    const prng = createPrng(1, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(prng.int(1, 10));
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const picked = new Set<string>();
    for (let i = 0; i < 1_000; i++) picked.add(prng.pick(['a', 'b', 'c']));
    expect(picked.size).toBe(3);
  });
});
