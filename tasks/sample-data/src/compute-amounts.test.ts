import { computeTransactionAmounts, DISCOUNTS, TAX_RATE } from './compute-amounts';

describe('computeTransactionAmounts', () => {
  it('applies discount, then 8% tax rounded to cents, then rounds the total', () => {
    // 3 x 19.99 = 59.97, -10% = 53.973; tax 4.31784 -> 4.32; total 58.293 -> 58.29
    expect(computeTransactionAmounts(3, 1999, 10)).toEqual({ taxCents: 432, totalCents: 5829 });
    expect(computeTransactionAmounts(1, 10000, 0)).toEqual({ taxCents: 800, totalCents: 10800 });
  });

  it('rounds exact half cents away from zero, as SQL ROUND on NUMERIC does', () => {
    // 1.25 x 0.95 = 1.1875: tax 0.095 -> 0.10, total 1.2875 -> 1.29
    expect(computeTransactionAmounts(1, 125, 5)).toEqual({ taxCents: 10, totalCents: 129 });
  });

  it('rounds tax before adding it, which round2(gross * 1.08) would not', () => {
    // 1.1875 x 1.08 = 1.2825 -> 1.28, one cent less than the documented formula gives.
    const { totalCents } = computeTransactionAmounts(1, 125, 5);
    expect(totalCents).toBe(129);
    expect(Math.round(1.1875 * (1 + TAX_RATE) * 100)).toBe(128);
  });

  it('offers the documented discounts', () => {
    expect(DISCOUNTS).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
  });
});
