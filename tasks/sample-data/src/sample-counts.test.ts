import { computeSampleCounts } from './sample-counts';

describe('computeSampleCounts', () => {
  it.each([
    [1, { customers: 1_000, products: 200, locations: 50, transactions: 10_000 }],
    [0.1, { customers: 316, products: 200, locations: 50, transactions: 1_000 }],
    [4, { customers: 2_000, products: 200, locations: 50, transactions: 40_000 }],
    [1_000, { customers: 31_623, products: 200, locations: 50, transactions: 10_000_000 }],
  ])('scale %p', (scale, counts) => {
    expect(computeSampleCounts(scale)).toEqual(counts);
  });
});
