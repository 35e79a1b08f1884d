import { HyperLogLog } from './hyperloglog';
import { QuantileSketch } from './quantile-sketch';
import { TopValues } from './top-values';

/** A seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('HyperLogLog (precision 14)', () => {
  // Standard error 0.81%: 3% is over 3.5 sigma, so these fail only on a real bug.
  it.each([1, 10, 100, 1_000, 10_000, 40_000, 100_000, 300_000])('estimates %i distinct strings within 3%% of the exact count', (n) => {
    const hll = new HyperLogLog(14);
    const exact = new Set<string>();
    for (let i = 0; i < n; i++) {
      const v = `CUST-${i * 7919}-x`;
      exact.add(v);
      hll.add(v);
      if (i % 3 === 0) hll.add(v); // repeats must not count
    }
    const err = Math.abs(hll.estimate() - exact.size) / exact.size;
    expect(err).toBeLessThan(0.03);
  });

  it('estimates numbers (ints, floats, epoch ms) within 3% of the exact count, and the error shrinks with precision', () => {
    const next = rng(7);
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) values.push(i % 3 === 0 ? Math.floor(next() * 150_000) : i % 3 === 1 ? Math.round(next() * 1e6) / 100 : 1.7e12 + Math.floor(next() * 5e7));
    const exact = new Set(values).size;
    const errors = [8, 14].map((p) => {
      const hll = new HyperLogLog(p);
      for (const v of values) hll.add(v);
      return Math.abs(hll.estimate() - exact) / exact;
    });
    expect(errors[1]).toBeLessThan(0.03);
    expect(errors[1]).toBeLessThan(errors[0]!);
  });

  it('merges two sketches into the union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 30_000; i++) a.add(i);
    for (let i = 20_000; i < 50_000; i++) b.add(i);
    a.merge(b);
    expect(Math.abs(a.estimate() - 50_000) / 50_000).toBeLessThan(0.03);
    expect(() => a.merge(new HyperLogLog(10))).toThrow(/precision 10/);
  });
});

describe('QuantileSketch (KLL, k=200)', () => {
  it('keeps every rank within 2% of the exact rank over 1 M values, in a few hundred numbers', () => {
    const next = rng(42);
    const values: number[] = [];
    const sketch = new QuantileSketch(200);
    for (let i = 0; i < 1_000_000; i++) {
      // Skewed (log-normal-like) amounts, the shape of sales totals.
      const v = Math.exp(3 + 1.5 * (next() + next() + next() - 1.5));
      values.push(v);
      sketch.add(v);
    }
    values.sort((a, b) => a - b);
    const qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
    const got = sketch.quantiles(qs);
    qs.forEach((q, i) => {
      // The exact rank of the value the sketch returned.
      let lo = 0;
      let hi = values.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (values[mid]! < got[i]!) lo = mid + 1;
        else hi = mid;
      }
      expect(Math.abs(lo / values.length - q)).toBeLessThan(0.02);
    });
    expect(sketch.count).toBe(1_000_000);
    expect(sketch.retained()).toBeLessThan(1500);
  });

  it('is exact while it holds every value, and says nothing for no values', () => {
    const s = new QuantileSketch(200);
    expect(s.quantiles([0.5])).toEqual([undefined]);
    for (let i = 1; i <= 100; i++) s.add(i);
    expect(s.quantiles([0.01, 0.5, 1])).toEqual([1, 50, 100]);
  });

  it('gives the same quantiles for the same values (seeded coin flips)', () => {
    const run = () => {
      const s = new QuantileSketch(50);
      for (let i = 0; i < 10_000; i++) s.add((i * 7919) % 10_007);
      return s.quantiles([0.1, 0.5, 0.9]);
    };
    expect(run()).toEqual(run());
  });
});

describe('TopValues (Misra-Gries)', () => {
  it('counts exactly while distinct values fit the counters', () => {
    const t = new TopValues(10);
    for (let i = 0; i < 1000; i++) t.add(['West', 'East', 'East', 'North'][i % 4]!);
    expect(t.top(2)).toEqual([
      { value: 'East', count: 500 },
      { value: 'North', count: 250 },
    ]);
    expect(t.rounds).toBe(0);
  });

  it('keeps a heavy hitter among rare values as a lower bound, short by at most the rounds', () => {
    const t = new TopValues(10);
    for (let i = 0; i < 100; i++) {
      t.add('hot');
      t.add('hot');
      if (i < 5) t.add(`rare${i}`);
    }
    for (let i = 0; i < 8; i++) t.add(`late${i}`); // forces a round or more
    const hot = t.top(1)![0]!;
    expect(hot.value).toBe('hot');
    expect(hot.count).toBeLessThanOrEqual(200);
    expect(hot.count).toBeGreaterThanOrEqual(200 - t.rounds);
  });

  it('stops counting a high-cardinality column and frees its counters', () => {
    const t = new TopValues(10);
    for (let i = 0; i < 1000; i++) t.add(`TXN${i}`);
    expect(t.tracked).toBe(false);
    expect(t.top(5)).toBeUndefined();
  });
});
