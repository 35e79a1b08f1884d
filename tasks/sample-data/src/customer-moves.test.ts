import { addressVersionOn, MOVE_PERIOD_DAYS, moveCustomer } from './customer-moves';
import { generateCustomers } from './generate-customers';

const DAY = Math.floor(Date.UTC(2026, 10, 26) / 86_400_000);

describe('customer moves', () => {
  it('moves about a tenth of the customers, each now and then, never back in time', () => {
    const movers = Array.from({ length: 2_000 }, (_, i) => i + 1).filter((n) => addressVersionOn(42, n, DAY) > 0);
    expect(movers.length).toBeGreaterThan(150);
    expect(movers.length).toBeLessThan(250);
    for (const n of movers.slice(0, 50)) {
      const versions = Array.from({ length: 120 }, (_, d) => addressVersionOn(42, n, DAY + d));
      expect(versions.every((v, d) => d === 0 || v === versions[d - 1] || v === versions[d - 1]! + 1)).toBe(true);
      expect(versions[119]! - versions[0]!).toBeGreaterThanOrEqual(Math.floor(120 / MOVE_PERIOD_DAYS.max));
    }
  });

  it('changes the address, city, state and zip of a mover and nothing else', () => {
    const [row] = [...generateCustomers({ seed: 42, count: 1 })];
    expect(moveCustomer(42, 1, row!, 0)).toBe(row);
    const moved = moveCustomer(42, 1, row!, 3);
    const { address, city, state, zip_code, ...rest } = moved;
    const { address: a0, city: c0, state: s0, zip_code: z0, ...restBefore } = row!;
    expect(rest).toEqual(restBefore);
    expect(address).not.toBe(a0);
    expect(moveCustomer(42, 1, row!, 3)).toEqual(moved);
  });

  it('leaves the history delivery as it was and moves customers in the daily one', () => {
    const history = [...generateCustomers({ seed: 42, count: 300 })];
    const daily = [...generateCustomers({ seed: 42, count: 300, asOfDay: DAY })];
    const changed = daily.filter((row, i) => row.address !== history[i]!.address);
    expect(changed.length).toBeGreaterThan(10);
    expect(changed.every((row) => addressVersionOn(42, Number(row.customer_id.slice(4)), DAY) > 0)).toBe(true);
  });
});
