import { toSqlDate, toSqlTimestamp, toSqlValue } from './to-sql-value';

describe('toSqlValue', () => {
  const ts = Date.UTC(2026, 10, 26, 7, 8, 9, 12);

  it('writes dates as YYYY-MM-DD whatever the dialect', () => {
    expect(toSqlDate(Date.UTC(2026, 10, 26))).toBe('2026-11-26');
    expect(toSqlDate(new Date(Date.UTC(2026, 0, 2)))).toBe('2026-01-02');
    expect(toSqlDate('2026-11-26')).toBe('2026-11-26');
    expect(() => toSqlDate('yesterday')).toThrow(/not a date/);
  });

  it('writes timestamps in UTC, with a zone only for PostgreSQL', () => {
    expect(toSqlTimestamp(ts, 'postgres')).toBe('2026-11-26T07:08:09.012Z');
    expect(toSqlTimestamp(ts, 'mysql')).toBe('2026-11-26 07:08:09.012');
    expect(toSqlTimestamp(ts, 'sqlite')).toBe('2026-11-26 07:08:09.012');
  });

  it('writes booleans as the driver binds them', () => {
    const col = { name: 'b', type: 'bool' } as const;
    expect(toSqlValue(true, col, 'postgres')).toBe(true);
    expect(toSqlValue(true, col, 'sqlite')).toBe(1);
    expect(toSqlValue(false, col, 'mysql')).toBe(0);
  });

  it('turns bigint into numbers, keeps null, and rounds decimals to the column scale', () => {
    expect(toSqlValue(42n, { name: 'i', type: 'int' }, 'postgres')).toBe(42);
    expect(() => toSqlValue(2n ** 60n, { name: 'i', type: 'int' }, 'postgres')).toThrow(/not an integer/);
    expect(toSqlValue(null, { name: 'i', type: 'int' }, 'mysql')).toBeNull();
    expect(toSqlValue(undefined, { name: 't', type: 'text' }, 'mysql')).toBeNull();
    expect(toSqlValue(0.123456, { name: 'd', type: 'decimal', scale: 4 }, 'sqlite')).toBe('0.1235');
    // Decimals go to the driver as their digits: exact past 15 digits, rounded half away from zero.
    expect(toSqlValue('1234567890123456.78', { name: 'd', type: 'decimal', precision: 18, scale: 2 }, 'postgres')).toBe('1234567890123456.78');
    expect(toSqlValue('-0.125', { name: 'd', type: 'decimal', scale: 2 }, 'mysql')).toBe('-0.13');
    expect(toSqlValue(1.005, { name: 'd', type: 'decimal', scale: 2 }, 'mysql')).toBe('1.01');
    expect(() => toSqlValue('abc', { name: 'd', type: 'decimal', scale: 2 }, 'mysql')).toThrow(/not a finite number/);
    expect(toSqlValue(7, { name: 't', type: 'text' }, 'sqlite')).toBe('7');
  });
});
