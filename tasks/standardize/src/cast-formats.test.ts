import { castValue, makeCaster, type CastSpec } from './cast-value';
import { toE164 } from './normalize-value';
import { compileDateFormat } from './parse-date-format';
import { zonedWallTimeToUtc } from './zoned-time';

const spec = (type: CastSpec['type'], extra: Partial<CastSpec> = {}): CastSpec => ({ type, required: false, scale: 2, ...extra });

describe('format hints', () => {
  it('reads dates in the declared format, and ISO dates still', () => {
    const us = makeCaster(spec('date', { format: 'MM/DD/YYYY' }));
    expect(us('11/26/2026')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26) });
    expect(us('2026-11-26')).toEqual({ ok: true, value: Date.UTC(2026, 10, 26) });
    expect(us('02/30/2026')).toMatchObject({ ok: false, reason: '"02/30/2026" is not a date (MM/DD/YYYY or ISO 8601)' });
    expect(us('26/11/2026')).toMatchObject({ ok: false });
    const month = makeCaster(spec('date', { format: 'MM/YYYY' }));
    expect(month('12/2022')).toEqual({ ok: true, value: Date.UTC(2022, 11, 1) });
    expect(month('13/2022')).toMatchObject({ ok: false });
    expect(castValue('20240229', spec('date', { format: 'YYYYMMDD' }))).toEqual({ ok: true, value: Date.UTC(2024, 1, 29) });
    expect(castValue('1.2.2024', spec('date', { format: 'D.M.YYYY' }))).toEqual({ ok: true, value: Date.UTC(2024, 1, 1) });
  });

  it('reads timestamps in a format, with the offset in the text or the declared zone', () => {
    const f = makeCaster(spec('timestamp', { format: 'MM/DD/YYYY HH:mm:ss', timezone: 'America/New_York' }));
    // EST (UTC-5) in January, EDT (UTC-4) in July
    expect(f('01/15/2026 09:30:00')).toEqual({ ok: true, value: Date.UTC(2026, 0, 15, 14, 30) });
    expect(f('07/15/2026 09:30:00')).toEqual({ ok: true, value: Date.UTC(2026, 6, 15, 13, 30) });
    // an explicit offset wins over the declared zone
    expect(f('2026-07-15T09:30:00Z')).toEqual({ ok: true, value: Date.UTC(2026, 6, 15, 9, 30) });
    expect(f('07/15/2026 25:30:00')).toMatchObject({ ok: false, reason: expect.stringContaining('time of day') });
    expect(castValue('2026-11-26 13:45', spec('timestamp', { timezone: 'Asia/Kolkata' }))).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 8, 15) });
    expect(castValue('26.11.2026 13:45 +01:00', spec('timestamp', { format: 'DD.MM.YYYY HH:mm Z' }))).toEqual({ ok: true, value: Date.UTC(2026, 10, 26, 12, 45) });
  });

  it('handles daylight saving gaps and overlaps', () => {
    // 2026-03-08 02:30 does not exist in New York: taken with the offset before (EST) -> 07:30Z (03:30 EDT)
    expect(zonedWallTimeToUtc(Date.UTC(2026, 2, 8, 2, 30), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 7, 30));
    // 2026-11-01 01:30 happens twice: the first (EDT) -> 05:30Z
    expect(zonedWallTimeToUtc(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York')).toBe(Date.UTC(2026, 10, 1, 5, 30));
    expect(zonedWallTimeToUtc(Date.UTC(2026, 5, 1, 12), 'UTC')).toBe(Date.UTC(2026, 5, 1, 12));
  });

  it('refuses a format without a year', () => {
    expect(() => compileDateFormat('MM/DD')).toThrow(/no YYYY/);
  });

  it('reads money text, negatives in parentheses, and decimal commas', () => {
    const money = makeCaster(spec('decimal'));
    expect(money('$24,295.00')).toEqual({ ok: true, value: '24295' });
    expect(money('$1,234.50')).toEqual({ ok: true, value: '1234.5' });
    expect(money('($12.50)')).toEqual({ ok: true, value: '-12.5' });
    expect(money('-€5')).toEqual({ ok: true, value: '-5' });
    expect(money('-$1,234.50')).toEqual({ ok: true, value: '-1234.5' });
    expect(money('--5')).toMatchObject({ ok: false });
    expect(money('€-5')).toEqual({ ok: true, value: '-5' });
    expect(money('12.00 USD')).toEqual({ ok: true, value: '12' });
    expect(money('1,2')).toMatchObject({ ok: false });
    const eu = makeCaster(spec('decimal', { decimal_comma: true }));
    expect(eu('1.234,50')).toEqual({ ok: true, value: '1234.5' });
    expect(eu('€ 2 500,5')).toEqual({ ok: true, value: '2500.5' });
  });

  it('rejects numbers out of decimal(p,s) or the declared range', () => {
    const d = makeCaster(spec('decimal', { precision: 5, scale: 2 }));
    expect(d('999.99')).toEqual({ ok: true, value: '999.99' });
    expect(d('1000.00')).toMatchObject({ ok: false, reason: '1000.00 is out of range for decimal(5,2)' });
    expect(d('999.999')).toMatchObject({ ok: false }); // rounds to 1000.00
    const q = makeCaster(spec('int', { min: 1, max: 100 }));
    expect(q('0')).toMatchObject({ ok: false, reason: '0 is out of the allowed range 1..100' });
    expect(q('100')).toEqual({ ok: true, value: 100 });
    expect(castValue('1e400', spec('float'))).toMatchObject({ ok: false, reason: '"1e400" is not a number' });
  });

  it('reads booleans in the declared spellings', () => {
    const b = makeCaster(spec('bool'));
    for (const t of ['YES', 'Yes', 'true', '1', ' T ']) expect(b(t)).toEqual({ ok: true, value: true });
    for (const f of ['No', 'NO', 'false', '0']) expect(b(f)).toEqual({ ok: true, value: false });
    expect(b('')).toEqual({ ok: true, value: null });
    expect(b('   ')).toEqual({ ok: true, value: null });
    const custom = makeCaster(spec('bool', { true_values: ['active'], false_values: ['inactive'], required: true }));
    expect(custom('ACTIVE')).toEqual({ ok: true, value: true });
    expect(custom('yes')).toMatchObject({ ok: false, reason: '"yes" is not a boolean (active or inactive)' });
    expect(custom(' ')).toMatchObject({ ok: false, reason: 'required value is missing' });
  });

  it('checks allowed values after normalizing', () => {
    const status = makeCaster(spec('string', { normalize: ['upper'], allowed: ['NEW', 'SHIPPED'] }));
    expect(status(' shipped ')).toEqual({ ok: true, value: 'SHIPPED' });
    expect(status('lost')).toMatchObject({ ok: false, reason: '"lost" is not one of the allowed values (NEW, SHIPPED)' });
    expect(status(null)).toEqual({ ok: true, value: null });
  });
});

describe('normalizers', () => {
  it('collapse spaces, lower-case emails, and write phones as E.164', () => {
    expect(castValue('  Mary   Ann  ', spec('string', { normalize: ['collapse_spaces'] }))).toEqual({ ok: true, value: 'Mary Ann' });
    expect(castValue('  John.Smith42@Example.COM ', spec('string', { normalize: ['email'] }))).toEqual({ ok: true, value: 'john.smith42@example.com' });
    const phone = makeCaster(spec('string', { normalize: ['e164'] }));
    expect(phone('(555) 123-4567')).toEqual({ ok: true, value: '+15551234567' });
    expect(phone('1-555-123-4567')).toEqual({ ok: true, value: '+15551234567' });
    expect(phone('+44 20 7183 8750')).toEqual({ ok: true, value: '+442071838750' });
    expect(phone('123')).toMatchObject({ ok: false, reason: '"123" is not a phone number that can be written as E.164' });
    expect(toE164('030 1234567', '49')).toBe('+49301234567');
    expect(toE164('0049 30 1234567', '1')).toBe('+49301234567');
  });
});
