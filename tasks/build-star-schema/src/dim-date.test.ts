import { dateKeyOfDay, dateRow, dayOfDateKey, epochDay, isoWeek } from './dim-date';

const day = (s: string) => epochDay(Date.parse(s + 'T00:00:00Z'));

describe('dim_date', () => {
  it('keys round trip', () => {
    expect(dateKeyOfDay(day('2026-11-26'))).toBe(20261126);
    expect(dayOfDateKey(20240229)).toBe(day('2024-02-29'));
  });

  it.each([
    ['2026-01-01', 1], // Thursday
    ['2021-01-03', 53], // Sunday of 2020's week 53
    ['2021-01-04', 1],
    ['2024-12-30', 1], // Monday belonging to 2025's week 1
    ['2026-11-26', 48],
  ])('ISO week of %s is %i', (d, w) => expect(isoWeek(day(d))).toBe(w));

  it('builds a full row', () => {
    expect(dateRow(day('2026-11-28'))).toEqual([20261128, Date.UTC(2026, 10, 28), 28, 6, 'Saturday', 48, 11, 'November', 4, 2026, true]);
  });
});
