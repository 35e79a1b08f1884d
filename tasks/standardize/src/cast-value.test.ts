import { castValue } from './cast-value';
import { snakeCase } from '@salesflow/batches';

const cast = (v: unknown, type: Parameters<typeof castValue>[1]['type'], extra: { required?: boolean; scale?: number; precision?: number; decimal_comma?: boolean } = {}) =>
  castValue(v, { ...extra, type, required: extra.required ?? false, scale: extra.scale ?? 2 });

describe('castValue', () => {
  it('trims strings and turns blanks into null', () => {
    expect(cast('  Ada  ', 'string')).toEqual({ ok: true, value: 'Ada' });
    expect(cast('   ', 'string')).toEqual({ ok: true, value: null });
    expect(cast('', 'string', { required: true })).toEqual({ ok: false, reason: 'required value is missing' });
  });

  it('rejects dates and timestamps outside the years a warehouse stores', () => {
    expect(cast('0000-01-01', 'date')).toMatchObject({ ok: false, reason: expect.stringContaining('outside the years 1000 to 9999') });
    expect(cast('9999-12-31', 'date')).toMatchObject({ ok: true });
    expect(cast('0999-12-31T23:00:00Z', 'timestamp')).toMatchObject({ ok: false });
    expect(cast(Date.UTC(12000, 0, 1), 'timestamp')).toMatchObject({ ok: false });
    expect(cast(Date.UTC(2026, 10, 26), 'date')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26) });
  });

  it('rejects text holding undecodable bytes instead of storing it mangled', () => {
    expect(cast('Jos\uFFFD@x.com', 'string')).toMatchObject({ ok: false, reason: expect.stringContaining('csv.encoding') });
  });

  it('applies the control_characters policy to text: reject (the default) names the character, strip removes C0 controls but tab, LF and CR, keep keeps them', () => {
    const text = (v: string, control_characters?: 'reject' | 'strip' | 'keep') => castValue(v, { type: 'string', required: false, scale: 2, control_characters });
    expect(text('ab\u0000c')).toEqual({ ok: false, reason: expect.stringMatching(/^holds the control character U\+0000 \(NUL\) at character 3; set the entity's control_characters to strip/) });
    expect(text('a\u001bb', 'reject')).toMatchObject({ ok: false, reason: expect.stringContaining('U+001B (ESC) at character 2') });
    expect(text('a\u0000b\u0007c\td\ne\rf', 'strip')).toEqual({ ok: true, value: 'abc\td\ne\rf', stripped: true });
    expect(text('line one\r\nline\ttwo', 'reject')).toEqual({ ok: true, value: 'line one\r\nline\ttwo' });
    expect(text('a\u0000b', 'keep')).toEqual({ ok: true, value: 'a\u0000b' });
    // Numbers with a NUL are not numbers, whatever the policy.
    expect(cast('4\u00002', 'int')).toMatchObject({ ok: false });
  });

  it('casts integers and rejects text, fractions and overflow', () => {
    expect(cast(' 42 ', 'int')).toEqual({ ok: true, value: 42 });
    expect(cast('two', 'int')).toMatchObject({ ok: false, reason: '"two" is not an integer' });
    expect(cast('1.5', 'int')).toMatchObject({ ok: false });
    expect(cast('3000000000', 'int')).toMatchObject({ ok: false, reason: expect.stringContaining('declare the column bigint') });
    expect(cast('9007199254740993', 'bigint')).toEqual({ ok: true, value: 9007199254740993n });
  });

  it('casts money text to decimals rounded to the scale', () => {
    // Decimals come out as their exact digits (the text String() gives a number of that value).
    expect(cast('$1,234.50', 'decimal')).toEqual({ ok: true, value: '1234.5' });
    expect(cast('24295.005', 'decimal')).toEqual({ ok: true, value: '24295.01' });
    expect(cast('1.005', 'decimal')).toEqual({ ok: true, value: '1.01' });
    expect(cast('-0.125', 'decimal')).toEqual({ ok: true, value: '-0.13' });
    expect(cast('(1.234,505)', 'decimal', { decimal_comma: true })).toEqual({ ok: true, value: '-1234.51' });
    expect(cast('0.15', 'decimal', { scale: 4 })).toEqual({ ok: true, value: '0.15' });
    expect(cast(2.675, 'decimal')).toEqual({ ok: true, value: '2.68' });
    expect(cast('1,2', 'decimal')).toMatchObject({ ok: false });
    expect(cast(12.5, 'float')).toEqual({ ok: true, value: 12.5 });
  });

  it('keeps every digit of decimals beyond a double (no float step)', () => {
    expect(cast('1234567890123456.785', 'decimal', { precision: 18 })).toEqual({ ok: true, value: '1234567890123456.79' });
    expect(cast('-9999999999999999.99', 'decimal', { precision: 18 })).toEqual({ ok: true, value: '-9999999999999999.99' });
    expect(cast('99999999999999999.99', 'decimal', { precision: 18 })).toMatchObject({ ok: false, reason: expect.stringContaining('out of range for decimal(18,2)') });
    expect(cast('12345678901234567890123.45', 'decimal', { precision: 38 })).toEqual({ ok: true, value: '12345678901234567890123.45' });
  });

  it('casts booleans in their usual spellings', () => {
    for (const t of ['true', 'YES', 'y', '1', 'T']) expect(cast(t, 'bool')).toEqual({ ok: true, value: true });
    for (const f of ['false', 'No', 'n', '0']) expect(cast(f, 'bool')).toEqual({ ok: true, value: false });
    expect(cast('maybe', 'bool')).toMatchObject({ ok: false });
  });

  it('casts dates and rejects impossible ones', () => {
    expect(cast('2024-02-29', 'date')).toEqual({ ok: true, value: Date.UTC(2024, 1, 29) });
    expect(cast('2023-02-29', 'date')).toMatchObject({ ok: false });
    expect(cast('11/26/2026', 'date')).toMatchObject({ ok: false, reason: expect.stringContaining('YYYY-MM-DD') });
    expect(cast('2026-11-26T99:99:99', 'date')).toMatchObject({ ok: false });
    // Year 24 stays year 24 (not 1924), and is then refused: no warehouse we load stores it.
    expect(cast('0024-03-01', 'date')).toMatchObject({ ok: false, reason: '"0024-03-01" is outside the years 1000 to 9999 that the warehouse can store' });
  });

  it('casts timestamps with Z, offsets or none (UTC), and rejects garbage', () => {
    expect(cast('2026-11-26T13:45:00Z', 'timestamp')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 13, 45) });
    expect(cast('2026-11-26 13:45:00', 'timestamp')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 13, 45) });
    expect(cast('2026-11-26T13:45:00.250+02:00', 'timestamp')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 11, 45, 0, 250) });
    expect(cast('2026-11-26T13:45:00-0530', 'timestamp')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 19, 15) });
    expect(cast('2026-13-45 25:61', 'timestamp')).toMatchObject({ ok: false });
    expect(cast('2026-11-26 25:00', 'timestamp')).toMatchObject({ ok: false, reason: expect.stringContaining('time of day') });
    expect(cast('2026-11-26T10:00:00+99:99', 'timestamp')).toMatchObject({ ok: false, reason: expect.stringContaining('UTC offset') });
    expect(cast('0099-12-31T23:59:59Z', 'timestamp')).toMatchObject({ ok: false, reason: expect.stringContaining('outside the years 1000 to 9999') });
    expect(cast('1000-01-01T00:00:00Z', 'timestamp')).toEqual({ ok: true, value: new Date('1000-01-01T00:00:00Z').getTime() });
  });

  it('reads YYYY-MM-DDTHH:MM:SSZ on its fast path exactly as Date does, and leaves invalid ones to the general path', () => {
    // Every day over 8 years (leap days included) at a varying time of day.
    for (let day = 0; day < 8 * 366; day++) {
      const iso = new Date(Date.UTC(2022, 0, 1) + day * 86_400_000 + ((day * 7919) % 86_400) * 1000).toISOString().replace('.000Z', 'Z');
      expect(cast(iso, 'timestamp')).toEqual({ ok: true, value: Date.parse(iso) });
      expect(cast(iso.replace('T', ' ').replace('Z', 'z'), 'timestamp')).toEqual({ ok: true, value: Date.parse(iso) });
    }
    expect(cast('2024-02-29T10:00:00Z', 'timestamp')).toEqual({ ok: true, value: Date.UTC(2024, 1, 29, 10) });
    expect(cast('2026-02-29T10:00:00Z', 'timestamp')).toMatchObject({ ok: false, reason: expect.stringContaining('is not a timestamp') });
    expect(cast('2026-11-26T24:00:00Z', 'timestamp')).toMatchObject({ ok: false, reason: expect.stringContaining('time of day') });
    expect(cast('2026-1a-26T10:00:00Z', 'timestamp')).toMatchObject({ ok: false });
  });
});

describe('snakeCase', () => {
  it.each([
    ['CustomerID', 'customer_id'],
    ['Zip Code', 'zip_code'],
    ['unit-price', 'unit_price'],
    ['  transaction_timestamp ', 'transaction_timestamp'],
    ['HTTPStatus', 'http_status'],
  ])('%s -> %s', (a, b) => expect(snakeCase(a)).toBe(b));
});
