import { parseEventTime, parseKafkaRecord as parse } from './parse-kafka-record';
import { valueDecoderOf } from './value-decoders';

const json = valueDecoderOf({ value_format: 'json' } as never, 'e');
const parseKafkaRecord = (m: Parameters<typeof parse>[0], e: Parameters<typeof parse>[1], c: Parameters<typeof parse>[2]) => parse(m, e, c, json);

const entity = { event_time_field: 'ts', max_message_bytes: 64 };
const msg = (value: string | null, headers: Record<string, Buffer | string | undefined> = {}) => ({ value: value === null ? null : Buffer.from(value), headers });

describe('parseKafkaRecord', () => {
  it('lands the declared fields as text, objects as JSON, absent ones as null, with the headers and event time', () => {
    const r = parseKafkaRecord(msg('{"id":7,"name":"a","tags":{"x":1},"ts":"2026-11-26T10:00:00Z"}', { src: Buffer.from('pos') }), entity, ['id', 'name', 'tags', 'missing']);
    expect(r).toEqual({ ok: true, eventTime: Date.parse('2026-11-26T10:00:00Z'), headers: '{"src":"pos"}', values: ['7', 'a', '{"x":1}', null] });
  });

  it('keeps the whole value as JSON text when no columns are declared, and takes epoch milliseconds', () => {
    expect(parseKafkaRecord(msg('{"ts":1795651200000}'), entity, undefined)).toEqual({ ok: true, eventTime: 1795651200000, headers: null, values: ['{"ts":1795651200000}'] });
  });

  it.each([
    [null, /empty/],
    ['{"ts":', /not JSON/],
    ['[1]', /not a JSON object/],
    ['{"id":1}', /"ts" is missing/],
    ['{"ts":"last tuesday"}', /not ISO-8601/],
    [`{"ts":1,"pad":"${'x'.repeat(80)}"}`, /over max_message_bytes \(64\)/],
  ])('quarantines %s with a reason', (value, reason) => {
    const r = parseKafkaRecord(msg(value), entity, ['id']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

describe('parseEventTime', () => {
  it('refuses text that is not a date and numbers that are not finite', () => {
    expect(parseEventTime('2026-11-26')).toBe(Date.parse('2026-11-26'));
    expect(parseEventTime('12')).toBeUndefined();
    expect(parseEventTime(Number.NaN)).toBeUndefined();
    expect(parseEventTime(true)).toBeUndefined();
  });
});
