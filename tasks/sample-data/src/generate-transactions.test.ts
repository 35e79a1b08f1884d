import { computeTransactionAmounts } from './compute-amounts';
import { DIRTY_ROWS } from './dirty-rows';
import { generateProducts } from './generate-products';
import { generateTransactions, type GenerateTransactionsOptions } from './generate-transactions';
import { formatId } from './format-id';
import type { TransactionRow } from './sample-schema';

const DS_MS = Date.UTC(2026, 10, 26);
const products = [...generateProducts({ seed: 42, count: 200 })];
const options: GenerateTransactionsOptions = {
  seed: 42,
  dsEpochMs: DS_MS,
  days: 365,
  count: 10_000,
  customerCount: 1_000,
  products,
  locationCount: 50,
};
const rows = [...generateTransactions(options)];
const invalidIds = new Set(DIRTY_ROWS.filter((row) => row.invalid).map((row) => row.id));
const seen = new Set<string>();
const firstOccurrences = rows.filter((row) => !seen.has(row.transaction_id) && seen.add(row.transaction_id));
const clean = firstOccurrences.filter((row) => !invalidIds.has(row.transaction_id));

describe('generateTransactions', () => {
  it('yields count transactions plus the one duplicate line', () => {
    expect(rows).toHaveLength(10_001);
    expect(firstOccurrences).toHaveLength(10_000);
    expect(clean).toHaveLength(9_998);
    expect(firstOccurrences.map((row) => row.transaction_id)).toEqual(Array.from({ length: 10_000 }, (_, i) => formatId('TXN', i + 1, 8)));
  });

  it('is deterministic for a seed and differs for another', () => {
    expect([...generateTransactions(options)]).toEqual(rows);
    expect([...generateTransactions({ ...options, seed: 7 })]).not.toEqual(rows);
  });

  it('references existing customers, products and locations, at the product price', () => {
    const priceOf = new Map(products.map((p) => [p.product_id, p.unit_price]));
    for (const row of rows) {
      const customer = Number(row.customer_id.slice(4));
      const location = Number(row.location_id.slice(3));
      expect(row.customer_id).toMatch(/^CUST\d{6}$/);
      expect(customer >= 1 && customer <= 1_000).toBe(true);
      expect(row.location_id).toMatch(/^LOC\d{4}$/);
      expect(location >= 1 && location <= 50).toBe(true);
      expect(row.unit_price).toBe(priceOf.get(row.product_id));
    }
  });

  it('follows the total_amount formula on every clean row', () => {
    for (const row of clean) {
      const quantity = row.quantity as number;
      expect(Number.isInteger(quantity) && quantity >= 1 && quantity <= 10).toBe(true);
      expect([0, 0.05, 0.1, 0.15, 0.2]).toContain(row.discount);
      const gross = quantity * row.unit_price * (1 - row.discount);
      // Independent float check: tax within half a cent of 8%, total within half a cent of gross + tax.
      expect(Math.abs(row.tax_amount - gross * 0.08)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(row.total_amount - (gross + row.tax_amount))).toBeLessThanOrEqual(0.005 + 1e-9);
      const exact = computeTransactionAmounts(quantity, Math.round(row.unit_price * 100), Math.round(row.discount * 100));
      expect([row.tax_amount, row.total_amount]).toEqual([exact.taxCents / 100, exact.totalCents / 100]);
    }
  });

  it('mostly gives no discount and mostly small quantities', () => {
    const undiscounted = clean.filter((row) => row.discount === 0).length / clean.length;
    expect(undiscounted).toBeGreaterThan(0.7);
    expect(undiscounted).toBeLessThan(0.8);
    expect(new Set(clean.map((row) => row.quantity))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  it('writes the dirty rows exactly as documented', () => {
    const byId = (id: string): TransactionRow[] => rows.filter((row) => row.transaction_id === id);
    const [two] = byId('TXN00000250');
    expect(two?.quantity).toBe('two');
    const billed = computeTransactionAmounts(2, Math.round((two?.unit_price ?? 0) * 100), Math.round((two?.discount ?? 0) * 100));
    expect(two?.total_amount).toBe(billed.totalCents / 100);
    expect(byId('TXN00000500')[0]?.transaction_timestamp).toBe('2026-13-45 25:61');
    const copies = byId('TXN00000750');
    expect(copies).toHaveLength(2);
    expect(copies[1]).toEqual(copies[0]);
    const afterIndex = rows.findIndex((row) => row.transaction_id === 'TXN00001000') + 1;
    expect(rows[afterIndex]).toBe(copies[0]);
    // Nothing else is dirty.
    expect(rows.filter((row) => typeof row.quantity === 'string')).toHaveLength(1);
    expect(rows.filter((row) => !row.transaction_timestamp.endsWith('Z'))).toHaveLength(1);
  });

  it('spreads timestamps over the days before ds, never on or after it, in id order', () => {
    const windowStart = DS_MS - 365 * 86_400_000;
    const times = clean.map((row) => {
      expect(row.transaction_timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      return Date.parse(row.transaction_timestamp);
    });
    expect(Math.min(...times)).toBeGreaterThanOrEqual(windowStart);
    expect(Math.max(...times)).toBeLessThan(DS_MS);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
    // Uniform: each quarter of the window holds about a quarter of the sales.
    const quarter = (DS_MS - windowStart) / 4;
    const perQuarter = [0, 1, 2, 3].map((q) => times.filter((t) => t >= windowStart + q * quarter && t < windowStart + (q + 1) * quarter).length);
    for (const n of perQuarter) expect(Math.abs(n - clean.length / 4)).toBeLessThan(50);
  });

  it('keeps timestamps inside a one-day window too', () => {
    const oneDay = [...generateTransactions({ ...options, days: 1, count: 1_000 })];
    for (const row of oneDay) {
      if (row.transaction_id === 'TXN00000500') continue;
      const t = Date.parse(row.transaction_timestamp);
      expect(t >= DS_MS - 86_400_000 && t < DS_MS).toBe(true);
    }
    expect(oneDay).toHaveLength(1_001);
  });
});
