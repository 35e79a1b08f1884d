import { computeTransactionAmounts } from './compute-amounts';
import { CORRECTION_MAX_LAG_DAYS, formatDailyTransactionId, LATE_MAX_LAG_DAYS, planDailyDelivery } from './daily-delivery-plan';
import { generateDailyTransactions, type GenerateDailyTransactionsOptions } from './generate-daily-transactions';
import { generateProducts } from './generate-products';
import type { TransactionRow } from './sample-schema';

const DAY_MS = 86_400_000;
const D = Date.UTC(2026, 10, 26);
const products = [...generateProducts({ seed: 42, count: 200 })];
const options = (dsEpochMs: number): GenerateDailyTransactionsOptions => ({ seed: 42, dsEpochMs, baseCount: 1_000, customerCount: 316, products, locationCount: 50 });
const deliveryOf = (dsEpochMs: number) => [...generateDailyTransactions(options(dsEpochMs))];
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

const today = deliveryOf(D);
const plan = planDailyDelivery(D, 1_000);
const earlier = new Map<number, Map<string, TransactionRow>>();
for (let lag = 1; lag <= CORRECTION_MAX_LAG_DAYS; lag++) earlier.set(dayOf(D) - lag, new Map(deliveryOf(D - lag * DAY_MS).map((row) => [row.transaction_id, row])));

describe('generateDailyTransactions', () => {
  it('holds the regular, duplicate, late and corrected lines in that order', () => {
    expect(today).toHaveLength(plan.regular + 1 + plan.late + plan.corrections);
    const ids = Array.from({ length: plan.regular + plan.late }, (_, i) => formatDailyTransactionId(plan.day, i + 1));
    ids.splice(1_000, 0, formatDailyTransactionId(plan.day, 750));
    expect(ids[0]).toBe('TXN20261126-00000001');
    expect(today.slice(0, plan.regular + 1 + plan.late).map((row) => row.transaction_id)).toEqual(ids);
  });

  it('dates regular transactions on ds, in id order, with the dirty rows at their sequence numbers', () => {
    const regular = today.slice(0, plan.regular + 1);
    const parseable = regular.filter((row) => !Number.isNaN(Date.parse(row.transaction_timestamp)));
    expect(parseable.every((row) => dayOf(Date.parse(row.transaction_timestamp)) === plan.day)).toBe(true);
    expect(regular.find((row) => row.transaction_id.endsWith('-00000250'))!.quantity).toBe('two');
    expect(regular.find((row) => row.transaction_id.endsWith('-00000500'))!.transaction_timestamp).toBe('2026-13-45 25:61');
    const copies = regular.filter((row) => row.transaction_id.endsWith('-00000750'));
    expect(copies).toHaveLength(2);
    expect(copies[0]).toEqual(copies[1]);
  });

  it('dates late transactions 1 to 3 days before ds under new ids', () => {
    const late = today.slice(plan.regular + 1, plan.regular + 1 + plan.late);
    for (const row of late) {
      const lag = plan.day - dayOf(Date.parse(row.transaction_timestamp));
      expect(lag).toBeGreaterThanOrEqual(1);
      expect(lag).toBeLessThanOrEqual(LATE_MAX_LAG_DAYS);
      expect(row.transaction_id.startsWith('TXN20261126-')).toBe(true);
    }
  });

  it('re-delivers transactions that an earlier daily delivery really carried, changed and recomputed', () => {
    const corrected = today.slice(plan.regular + 1 + plan.late);
    expect(new Set(corrected.map((row) => row.transaction_id)).size).toBe(plan.corrections);
    for (const row of corrected) {
      const original = [...earlier.values()].map((rows) => rows.get(row.transaction_id)).find((r) => r !== undefined);
      expect(original).toBeDefined();
      const { quantity, discount, tax_amount, total_amount, ...same } = row;
      const { quantity: q0, discount: d0, tax_amount: t0, total_amount: a0, ...sameBefore } = original!;
      expect(same).toEqual(sameBefore);
      expect(quantity !== q0 || discount !== d0).toBe(true);
      expect(typeof quantity).toBe('number');
      const amounts = computeTransactionAmounts(quantity as number, Math.round(row.unit_price * 100), Math.round(discount * 100));
      expect([tax_amount, total_amount]).toEqual([amounts.taxCents / 100, amounts.totalCents / 100]);
      expect(total_amount === a0 && tax_amount === t0 && quantity === q0 && discount === d0).toBe(false);
    }
  });

  it('never gives a new transaction an id that another day used', () => {
    const idsBefore = new Set([...earlier.values()].flatMap((rows) => [...rows.keys()]));
    const fresh = today.slice(0, plan.regular + 1 + plan.late);
    expect(fresh.some((row) => idsBefore.has(row.transaction_id))).toBe(false);
  });

  it('is deterministic per seed and ds', () => {
    expect(deliveryOf(D)).toEqual(today);
    expect([...generateDailyTransactions({ ...options(D), seed: 7 })]).not.toEqual(today);
  });
});

describe('planDailyDelivery', () => {
  it('sells more at the weekend and keeps at least one late and one corrected transaction', () => {
    expect(planDailyDelivery(Date.UTC(2026, 10, 25), 1_000).regular).toBe(1_000); // a Wednesday
    expect(planDailyDelivery(Date.UTC(2026, 10, 28), 1_000).regular).toBe(1_250); // a Saturday
    expect(planDailyDelivery(D, 10)).toMatchObject({ late: 1, corrections: 1 });
  });
});
