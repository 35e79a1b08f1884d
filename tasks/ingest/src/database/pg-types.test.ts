import { parsePgDate, parsePgTimestamp, UnrepresentableValue } from './pg-types';

describe('PostgreSQL text values', () => {
  it('reads timestamps in every shape PostgreSQL writes, as UTC milliseconds', () => {
    expect(parsePgTimestamp('2026-11-26 13:45:01')).toBe(Date.UTC(2026, 10, 26, 13, 45, 1));
    expect(parsePgTimestamp('2026-11-26 13:45:01.5')).toBe(Date.UTC(2026, 10, 26, 13, 45, 1, 500));
    expect(parsePgTimestamp('2026-11-26 13:45:01.123456+00')).toBe(Date.UTC(2026, 10, 26, 13, 45, 1, 123));
    expect(parsePgTimestamp('2026-11-26 13:45:01.999999-03')).toBe(Date.UTC(2026, 10, 26, 16, 45, 1, 999));
    expect(parsePgTimestamp('2026-11-26 08:00:00.5+05:30')).toBe(Date.UTC(2026, 10, 26, 2, 30, 0, 500));
    expect(parsePgTimestamp('2026-11-26 08:00:00+05:30:15')).toBe(Date.UTC(2026, 10, 26, 2, 29, 45));
    expect(parsePgTimestamp('12026-01-01 00:00:00')).toBe(Date.UTC(12026, 0, 1));
    expect(parsePgTimestamp('infinity')).toEqual(new UnrepresentableValue('infinity'));
    expect(parsePgTimestamp('0044-03-15 12:00:00 BC')).toBeInstanceOf(UnrepresentableValue);
    expect(parsePgDate('2026-02-28')).toBe(Date.UTC(2026, 1, 28));
    expect(new Date(parsePgTimestamp('0044-03-15 12:00:00') as number).toISOString()).toBe('0044-03-15T12:00:00.000Z');
    expect(parsePgDate('-infinity')).toBeInstanceOf(UnrepresentableValue);
  });
});
