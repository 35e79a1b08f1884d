import path from 'node:path';
import { readConfig, validateConfig } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const demo = () => JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config));

describe('kafka sources', () => {
  it('fills the defaults of a kafka source', () => {
    const raw = demo();
    raw.sources.push({ name: 'orders', kind: 'kafka', brokers: ['kafka-1:9092'], group: 'salesflow', entities: [{ name: 'order_events', topics: ['orders'], event_time_field: 'event_time' }] });
    const r = validateConfig(raw);
    expect(r.errors).toEqual([]);
    expect(r.config!.sources.at(-1)).toMatchObject({ client_id: 'salesflow-ingest', timeout_ms: 30_000, follow: { max_interval_ms: 5_000, max_records: 50_000, enabled: false, close_grace_ms: 300_000 }, entities: [{ value_format: 'json', max_message_bytes: 1_048_576, late_events: 'event_day' }] });
  });

  it('needs the schema file of an Avro entity, and defaults its framing to Confluent\'s', () => {
    const raw = demo();
    raw.sources.push({ name: 'orders', kind: 'kafka', brokers: ['kafka-1:9092'], group: 'g', entities: [{ name: 'a', topics: ['t'], event_time_field: 'ts', value_format: 'avro' }, { name: 'b', topics: ['t'], event_time_field: 'ts', value_format: 'avro', avro: { schema_file: 'b.avsc' } }] });
    const at = raw.sources.length - 1;
    expect(validateConfig(raw).errors).toEqual([`sources.${at}.entities.0.avro: value_format avro needs avro.schema_file, the record schema the producers write with`]);
    raw.sources[at].entities.shift();
    expect(validateConfig(raw).config!.sources.at(-1)).toMatchObject({ entities: [{ avro: { schema_file: 'b.avsc', framing: 'confluent' } }] });
  });

  it('reports a bad broker, a missing event time field and an unknown SASL mechanism with their paths', () => {
    const raw = demo();
    raw.sources.push({ name: 'orders', kind: 'kafka', brokers: ['kafka-1'], group: 'g', sasl: { mechanism: 'gssapi', username: 'u', password: 'p' }, follow: { max_interval_ms: 10, max_records: 0, every: 5, enabled: 'sometimes', close_grace_ms: -1 }, entities: [{ name: 'order_events', topics: [] }] });
    const at = raw.sources.length - 1;
    const r = validateConfig(raw);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.brokers\\.0: must be host:port`)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.sasl\\.mechanism: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.entities\\.0\\.event_time_field: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.entities\\.0\\.topics: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.follow\\.max_interval_ms: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.follow\\.max_records: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.follow: .*every`)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.follow\\.enabled: `)),
        expect.stringMatching(new RegExp(`^sources\\.${at}\\.follow\\.close_grace_ms: `)),
      ]),
    );
  });
});
