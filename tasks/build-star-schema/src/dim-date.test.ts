import { calendar, dateKeyOfDay, dateRow, dayOfDateKey, epochDay, fiscalPeriod, isoWeek } from './dim-date';

const day = (s: string) => epochDay(Date.parse(s + 'T00:00:00Z'));

describe('dim_date', () => {
  it('keys round trip', () => {
    expect(dateKeyOfDay(day('2026-11-26'))).toBe(20261126);
    expect(dayOfDateKey(20240229)).toBe(day('2024-02-29'));
    expect(dateKeyOfDay(day('1969-12-31'))).toBe(19691231);
    expect(dateKeyOfDay(day('2107-03-01'))).toBe(21070301);
  });

  it.each([
    ['2026-01-01', 1], // Thursday
    ['2021-01-03', 53], // Sunday of 2020's week 53
    ['2021-01-04', 1],
    ['2024-12-30', 1], // Monday belonging to 2025's week 1
    ['2026-11-26', 48],
  ])('ISO week of %s is %i', (d, w) => expect(isoWeek(day(d))).toBe(w));

  it('builds a full row', () => {
    expect(dateRow(day('2026-11-28'))).toEqual([20261128, Date.UTC(2026, 10, 28), 28, 6, 'Saturday', 48, 11, 'November', 4, 2026, true, false, 2026, 4]);
  });

  it('flags holidays every year (MM-DD) or once (YYYY-MM-DD) and names fiscal years after the year they end in', () => {
    const row = calendar({ holidays: ['12-25', '2026-11-26'], fiscalYearStartMonth: 7 });
    const pick = (iso: string) => {
      const r = row(day(iso));
      return [r[11], r[12], r[13]];
    };
    expect(pick('2026-11-26')).toEqual([true, 2027, 2]);
    expect(pick('2027-11-26')).toEqual([false, 2028, 2]);
    expect(pick('1999-12-25')).toEqual([true, 2000, 2]);
    expect(pick('2026-06-30')).toEqual([false, 2026, 4]);
    expect(pick('2026-07-01')).toEqual([false, 2027, 1]);
  });

  it.each([
    [1, 2026, 1, 2026, 1],
    [1, 2026, 12, 2026, 4],
    [2, 2026, 1, 2026, 4],
    [2, 2026, 2, 2027, 1],
    [10, 2026, 9, 2026, 4],
    [10, 2026, 10, 2027, 1],
  ])('fiscal year starting in month %i: %i-%i is FY%i Q%i', (start, year, month, fy, fq) => {
    expect(fiscalPeriod(year, month, start)).toEqual({ fiscalYear: fy, fiscalQuarter: fq });
  });
});
