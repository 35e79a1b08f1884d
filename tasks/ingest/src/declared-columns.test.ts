import path from 'node:path';
import { readConfig, validateConfig } from '@salesflow/config';
import { declaredColumnsOf } from './declared-columns';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');

describe('declaredColumnsOf', () => {
  const raw = JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config));
  raw.sources.push({ name: 'orders', kind: 'kafka', brokers: ['kafka-1:9092'], group: 'g', entities: [{ name: 'order_events', topics: ['orders'], event_time_field: 'happened_at' }] });
  raw.standardize.entities.order_events = {
    source: 'orders',
    key: ['order_id'],
    columns: { order_id: { type: 'string' }, amount: { type: 'decimal', from: 'total' }, event_time: { type: 'timestamp' }, kafka_offset: { type: 'bigint', from: 'offset' } },
  };
  const { config, errors } = validateConfig(raw);

  it('names the value fields of a Kafka entity, leaving out the record columns it declares to keep', () => {
    expect(errors).toEqual([]);
    expect(declaredColumnsOf(config!, 'orders', 'order_events')).toEqual(['order_id', 'total']);
  });

  it('keeps every declared name of other sources, and is undefined for an entity standardize does not declare for the source', () => {
    expect(declaredColumnsOf(config!, 'landing', 'locations')).toContain('zip_code');
    expect(declaredColumnsOf(config!, 'landing', 'order_events')).toBeUndefined();
    expect(declaredColumnsOf(config!, 'orders', 'customers')).toBeUndefined();
  });
});
