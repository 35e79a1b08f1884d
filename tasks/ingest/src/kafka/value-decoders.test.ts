import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from 'avsc';
import type { KafkaEntityConfig } from '@salesflow/config';
import { parseKafkaRecord } from './parse-kafka-record';
import { AVRO_LOGICAL_TYPES, decimalBytes, decimalText, valueDecoderOf } from './value-decoders';

const SCHEMA = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'transaction_id', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'total_amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'unit_price', type: { type: 'fixed', name: 'Price', size: 8, logicalType: 'decimal', precision: 18, scale: 4 } },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'sold_on', type: { type: 'int', logicalType: 'date' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
    { name: 'channel', type: { type: 'enum', name: 'Channel', symbols: ['WEB', 'STORE'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'blob', type: 'bytes' },
    { name: 'big', type: 'long' },
  ],
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'avro-'));
writeFileSync(path.join(dir, 'order.avsc'), JSON.stringify(SCHEMA));
const writer = Type.forSchema(SCHEMA as never, { logicalTypes: AVRO_LOGICAL_TYPES });
const entity = (over: Partial<KafkaEntityConfig> = {}) => ({ name: 'orders', topics: ['t'], value_format: 'avro', avro: { schema_file: path.join(dir, 'order.avsc'), framing: 'confluent' }, event_time_field: 'event_time', max_message_bytes: 1 << 20, late_events: 'event_day', ...over }) as KafkaEntityConfig;
const order = { transaction_id: 'T-1', quantity: 3, total_amount: '-1234.50', unit_price: '19.9900', event_time: '2026-11-26T10:00:00.123456Z', sold_on: '2026-11-26', coupon: null, channel: 'WEB', tags: ['a'], blob: Buffer.from([0, 255]), big: 42 };
const confluent = (body: Buffer, id = 7) => Buffer.concat([Buffer.from([0, 0, 0, 0, id]), body]);

describe('decimal bytes', () => {
  it.each(['0', '1', '-1', '127', '128', '-128', '-129', '255', '32767', '-32768', '123456789012345678901234567890'])('round-trips %s at scales 0 and 3 as exact text', (n) => {
    expect(decimalText(decimalBytes(n, 0), 0)).toBe(n);
    expect(decimalText(decimalBytes(`${n}.005`.replace('-0.005', '-0.005'), 3), 3)).toBe(`${n}.005`);
  });
  it('reads the shortest two-complement form and pads small values with zeros', () => {
    expect(decimalBytes('123.45', 2)).toEqual(Buffer.from([0x30, 0x39]));
    expect(decimalText(Buffer.from([0x30, 0x39]), 2)).toBe('123.45');
    expect(decimalText(Buffer.from([0xff]), 2)).toBe('-0.01');
    expect(decimalText(Buffer.from([0x05]), 4)).toBe('0.0005');
  });
});

describe('the Avro decoder', () => {
  it('lands a Confluent-framed record: decimals and times as exact text, bytes as base64, the event time read', () => {
    const decode = valueDecoderOf(entity(), 'sources.s.entities.orders');
    const r = parseKafkaRecord({ value: confluent(writer.toBuffer(order)), headers: {} }, entity(), ['transaction_id', 'quantity', 'total_amount', 'unit_price', 'event_time', 'sold_on', 'coupon', 'channel', 'tags', 'blob', 'big'], decode);
    expect(r).toEqual({ ok: true, eventTime: Date.parse('2026-11-26T10:00:00.123Z'), headers: null, values: ['T-1', '3', '-1234.50', '19.9900', '2026-11-26T10:00:00.123456Z', '2026-11-26', null, 'WEB', '["a"]', 'AP8=', '42'] });
  });

  it('keeps the whole record as JSON when no columns are declared, and reads raw framing', () => {
    const e = entity({ avro: { schema_file: path.join(dir, 'order.avsc'), framing: 'raw' } });
    const r = parseKafkaRecord({ value: writer.toBuffer(order), headers: {} }, e, undefined, valueDecoderOf(e, 'k'));
    expect(r.ok && JSON.parse(r.values[0]!)).toMatchObject({ total_amount: '-1234.50', blob: 'AP8=', tags: ['a'] });
  });

  it.each([
    ['no Confluent header', () => writer.toBuffer(order), /not in the Confluent wire format .* starts with 0x06/],
    ['a truncated body', () => confluent(writer.toBuffer(order).subarray(0, 10)), /value is not Avro of order.avsc: /],
    ['trailing bytes', () => confluent(Buffer.concat([writer.toBuffer(order), Buffer.from([1, 2])])), /value is not Avro of order.avsc: trailing data/],
    ['a long beyond 2^53', () => confluent(Buffer.concat([writer.toBuffer({ ...order, big: 0 }).subarray(0, -1), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])), /precision loss/],
  ])('refuses %s with the reason', (_what, value, reason) => {
    const r = parseKafkaRecord({ value: value(), headers: {} }, entity(), ['transaction_id'], valueDecoderOf(entity(), 'k'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('names the config key and the file when the schema cannot be used', () => {
    writeFileSync(path.join(dir, 'bad.avsc'), '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}');
    writeFileSync(path.join(dir, 'enum.avsc'), '{"type":"enum","name":"E","symbols":["A"]}');
    const key = 'sources.s.entities.orders';
    expect(() => valueDecoderOf(entity({ avro: { schema_file: path.join(dir, 'missing.avsc'), framing: 'raw' } }), key)).toThrow(/sources\.s\.entities\.orders\.avro\.schema_file: .*missing\.avsc is not an Avro schema: ENOENT/);
    expect(() => valueDecoderOf(entity({ avro: { schema_file: path.join(dir, 'bad.avsc'), framing: 'raw' } }), key)).toThrow(/bad\.avsc is not an Avro schema: .*nope/);
    expect(() => valueDecoderOf(entity({ avro: { schema_file: path.join(dir, 'enum.avsc'), framing: 'raw' } }), key)).toThrow(/enum\.avsc is a enum, not a record/);
    expect(() => valueDecoderOf(entity({ event_time_field: 'when' }), key)).toThrow(/sources\.s\.entities\.orders\.event_time_field: "when" is not a field of .*order\.avsc \(transaction_id, quantity/);
  });
});
