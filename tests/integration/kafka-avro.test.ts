/**
 * Avro values from the real broker KAFKA_TEST_BROKERS: Confluent-framed records of a schema file
 * land with decimals and timestamps as exact text; a value the schema does not read goes to
 * quarantine with its offset, reason and bytes (base64), and the counts balance.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext, tempLake } from '../../tasks/ingest/src/ingest-fixture.test-util';
import { AVRO_LOGICAL_TYPES } from '../../tasks/ingest/src/kafka/value-decoders';

jest.setTimeout(120_000);

const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const DS = '2026-11-26';
const SCHEMA = {
  type: 'record',
  name: 'Sale',
  namespace: 'shop',
  fields: [
    { name: 'transaction_id', type: 'string' },
    { name: 'total_amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
};

it('lands Confluent-framed Avro records exactly and quarantines a value that is not one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-avro-'));
  writeFileSync(path.join(dir, 'sale.avsc'), JSON.stringify(SCHEMA));
  const type = Type.forSchema(SCHEMA as never, { logicalTypes: AVRO_LOGICAL_TYPES });
  const topic = `avro-${randomBytes(4).toString('hex')}`;
  const kafka = new Kafka({ clientId: 'kafka-avro-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const sales = Array.from({ length: 500 }, (_, i) => ({ transaction_id: `T-${i}`, total_amount: `${i * 1001}.${String(i % 100).padStart(2, '0')}`, event_time: new Date(Date.parse(`${DS}T00:00:00Z`) + i * 60_000).toISOString(), coupon: i % 7 ? null : `C${i}` }));
  const framed = (body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), body]);
  const producer = kafka.producer();
  await producer.connect();
  const stamp = (i: number) => String(Date.parse(`${DS}T00:00:00Z`) + i * 60_000);
  await producer.send({ topic, acks: -1, messages: sales.map((s, i) => ({ key: s.transaction_id, value: framed(type.toBuffer(s)), partition: i % 2, timestamp: stamp(i) })) });
  await producer.send({ topic, acks: -1, messages: [{ key: 'json-by-mistake', value: '{"transaction_id":"X"}', partition: 0, timestamp: stamp(1) }] });
  await producer.disconnect();

  const config = configWith([{ name: 'orders', kind: 'kafka', brokers: BROKERS, group: `${topic}-g`, session_timeout_ms: 6_000, entities: [{ name: 'sales', topics: [topic], value_format: 'avro', avro: { schema_file: path.join(dir, 'sale.avsc') }, event_time_field: 'event_time' }] }]);
  const ctx = stepContext(config, tempLake(), 'orders', DS);
  const result = await runIngest(ctx);
  expect([result.rowsIn, result.rowsOut, result.rowsDropped]).toEqual([501, 500, 1]);
  const { rows } = await readRaw(ctx.lake, datasets.raw('kafka', 'orders', 'sales'), DS);
  const byId = new Map(rows.map((r) => [String(JSON.parse(String(r.value)).transaction_id), JSON.parse(String(r.value))]));
  for (const s of sales) expect(byId.get(s.transaction_id)).toEqual(s);
  const q = await readRaw(ctx.lake, 'raw/kafka/orders/_quarantine/sales', DS);
  expect(q.rows).toHaveLength(1);
  expect(q.rows[0]).toMatchObject({ key: 'json-by-mistake', partition: 0, reason: expect.stringMatching(/not in the Confluent wire format .* starts with 0x7b/) });
  expect(Buffer.from(String(q.rows[0]!.value), 'base64').toString('utf8')).toBe('{"transaction_id":"X"}');
});
