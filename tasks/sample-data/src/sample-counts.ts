/** How many entities a run generates (transactions before the duplicate line is added). */
export interface SampleCounts {
  readonly customers: number;
  readonly products: number;
  readonly locations: number;
  readonly transactions: number;
}

/** Counts at scale 1. */
export const BASE_COUNTS: SampleCounts = Object.freeze({
  customers: 1_000,
  products: 200,
  locations: 50,
  transactions: 10_000,
});

/** Smallest accepted --scale: below it the dirty rows (up to TXN00001000) would not all exist. */
export const MIN_SCALE = 0.1;

/** Largest accepted --scale: transaction ids have 8 digits. */
export const MAX_SCALE = 9_999;

/**
 * Counts for a scale: transactions grow linearly, customers with the square root
 * (more sales mostly come from returning customers), products and locations stay fixed.
 * Scale 1000 gives 10,000,000 transactions and 31,623 customers.
 */
export function computeSampleCounts(scale: number): SampleCounts {
  return Object.freeze({
    customers: Math.round(BASE_COUNTS.customers * Math.sqrt(scale)),
    products: BASE_COUNTS.products,
    locations: BASE_COUNTS.locations,
    transactions: Math.round(BASE_COUNTS.transactions * scale),
  });
}
