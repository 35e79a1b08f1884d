import { parseMysqlDateTime } from './mysql-types';

describe('MySQL text values', () => {
  it('reads DATE, DATETIME and TIMESTAMP text as UTC milliseconds, and refuses zero dates', () => {
    expect(parseMysqlDateTime('2026-11-26 13:45:01.123456')).toBe(Date.UTC(2026, 10, 26, 13, 45, 1, 123));
    expect(parseMysqlDateTime('2026-11-26 13:45:01')).toBe(Date.UTC(2026, 10, 26, 13, 45, 1));
    expect(parseMysqlDateTime('2026-02-28')).toBe(Date.UTC(2026, 1, 28));
    expect(() => parseMysqlDateTime('0000-00-00 00:00:00')).toThrow(/zero dates/);
    expect(() => parseMysqlDateTime('0000-00-00')).toThrow(/zero dates/);
  });
});
