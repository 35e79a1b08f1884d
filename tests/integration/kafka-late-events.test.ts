/**
 * Late events of a Kafka source (event time in an earlier ds than the one they arrive in) against
 * the real broker KAFKA_TEST_BROKERS: with late_events: event_day (the default) a batch run lands
 * them in their event day's raw partition, exactly once through re-runs, a crash before the
 * arrival day's commit and days ingested out of order; with arrival_day they stay where they
 * arrived. Each test makes its own topic and group.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { datasets, type Lake } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext, tempLake } from '../../tasks/ingest/src/ingest-fixture.test-util';

jest.setTimeout(300_000);

const BROKERS = (process.env.KAFKA_TEST_BROKERS || '127.0.0.1:19092').split(',');
const kafka = new Kafka({ clientId: 'kafka-late-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
const DATASET = datasets.raw('kafka', 'orders', 'order_events');
const [DS0, DS1, DS2] = ['2026-11-24', '2026-11-25', '2026-11-26'];
const dayMs = (ds: string) => Date.parse(`${ds}T00:00:00Z`);
const PER_DAY = 300;
const uniq = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

/**
 * PER_DAY events stamped (broker timestamp) in each of DS1 and DS2, keyed d1-i and d2-i, over 3
 * partitions. Of DS2's, every 10th has its event time in DS1 (30 late events) and d2-5, d2-105 and
 * d2-205 in DS0, a day never ingested (3 more).
 */
function messages(): Message[] {
  const out: Message[] = [];
  for (const [day, ds] of [
    ['d1', DS1],
    ['d2', DS2],
  ] as const) {
    for (let i = 0; i < PER_DAY; i++) {
      const ts = dayMs(ds) + i * 200_000;
      const late = day === 'd2' && i % 10 === 0 ? dayMs(DS1) + 3_600_000 + i : day === 'd2' && i % 100 === 5 ? dayMs(DS0) + 7_200_000 : undefined;
      out.push({ key: `${day}-${i}`, partition: i % 3, timestamp: String(ts), value: JSON.stringify({ order_id: `${day}-${i}`, event_time: new Date(late ?? ts).toISOString() }) });
    }
  }
  return out;
}
const LATE_DS1 = PER_DAY / 10;
const LATE_DS0 = 3;

async function newTopic(): Promise<string> {
  const topic = uniq('late');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: messages() });
  await producer.disconnect();
  return topic;
}

function config(topic: string, lateEvents?: 'event_day' | 'arrival_day') {
  return configWith([{ name: 'orders', kind: 'kafka', brokers: BROKERS, group: uniq('g'), session_timeout_ms: 6_000, entities: [{ name: 'order_events', topics: [topic], event_time_field: 'event_time', ...(lateEvents ? { late_events: lateEvents } : {}) }] }]);
}

async function keysOf(lake: Lake, ds: string): Promise<string[]> {
  return (await readRaw(lake, DATASET, ds)).rows.map((r) => String(r.key)).sort();
}

/** Every produced key once over the lake's partitions, each in the ds of its event time or, when that is later, of its arrival. */
async function expectEachOnceInItsDay(lake: Lake): Promise<void> {
  const seen: string[] = [];
  for (const ds of await lake.listPartitions(DATASET)) {
    for (const r of (await readRaw(lake, DATASET, ds)).rows) {
      const eventDs = new Date(Number(r.event_time)).toISOString().slice(0, 10);
      const arrivedDs = new Date(Number(r.timestamp)).toISOString().slice(0, 10);
      expect([r.key, ds]).toEqual([r.key, eventDs < arrivedDs ? eventDs : arrivedDs]);
      seen.push(String(r.key));
    }
  }
  expect(seen.length).toBe(2 * PER_DAY);
  expect(new Set(seen).size).toBe(2 * PER_DAY);
}

it('lands late events in their event days once, through re-runs of both days and a crash before the arrival day commits', async () => {
  const cfg = config(await newTopic());
  const lake = tempLake();
  expect((await runIngest(stepContext(cfg, lake, 'orders', DS1))).rowsOut).toBe(PER_DAY);
  const ds1Own = await keysOf(lake, DS1);

  const day2 = await runIngest(stepContext(cfg, lake, 'orders', DS2));
  // Every record read is landed, here or in its event day: the step's counts balance.
  expect([day2.rowsIn, day2.rowsOut, day2.rowsDropped]).toEqual([PER_DAY, PER_DAY, 0]);
  expect(day2.outputs.map((o) => [o.uri.replace(/.*\/(dt=[^/]+)\/?$/, '$1'), o.rows])).toEqual([
    [`dt=${DS2}`, PER_DAY - LATE_DS1 - LATE_DS0],
    [`dt=${DS0}`, LATE_DS0],
    [`dt=${DS1}`, LATE_DS1],
  ]);
  const m2 = (await lake.readManifest(DATASET, DS2))!;
  expect(m2.rows).toBe(PER_DAY - LATE_DS1 - LATE_DS0);
  expect(m2.meta.kafka).toMatchObject({ read: PER_DAY, landed: PER_DAY - LATE_DS1 - LATE_DS0, quarantined: 0, moved_late: LATE_DS1 + LATE_DS0, late: { [DS0]: LATE_DS0, [DS1]: LATE_DS1 } });
  const m1 = (await lake.readManifest(DATASET, DS1))!;
  expect(m1.rows).toBe(PER_DAY + LATE_DS1);
  expect(m1.meta.kafka).toMatchObject({ read: PER_DAY, landed: PER_DAY, late_in: { rows: LATE_DS1, from: { [DS2]: LATE_DS1 } } });
  // DS0 was never ingested: its partition holds the late events alone, no offsets of its own.
  expect((await lake.readManifest(DATASET, DS0))!.meta.kafka).toMatchObject({ ranges: [], read: 0, late_in: { rows: LATE_DS0 } });
  await expectEachOnceInItsDay(lake);
  const after = { d0: await keysOf(lake, DS0), d1: await keysOf(lake, DS1), d2: await keysOf(lake, DS2) };
  expect(after.d1).toEqual([...ds1Own, ...Array.from({ length: LATE_DS1 }, (_, j) => `d2-${j * 10}`)].sort());

  // A re-run of the arrival day reads its recorded range and finds its late events landed already.
  await runIngest(stepContext(cfg, lake, 'orders', DS2));
  expect({ d0: await keysOf(lake, DS0), d1: await keysOf(lake, DS1), d2: await keysOf(lake, DS2) }).toEqual(after);

  // A crash after the late events landed and before DS2 committed: no DS2 manifest. The re-run lands DS2 and nothing twice.
  await lake.storage.deleteMany([`${DATASET}/dt=${DS2}/_manifest.json`]);
  await runIngest(stepContext(cfg, lake, 'orders', DS2));
  expect({ d0: await keysOf(lake, DS0), d1: await keysOf(lake, DS1), d2: await keysOf(lake, DS2) }).toEqual(after);

  // A re-run of the event day replaces its own records and keeps the late events later days appended.
  const again1 = await runIngest(stepContext(cfg, lake, 'orders', DS1));
  expect(again1.rowsOut).toBe(PER_DAY);
  expect(await keysOf(lake, DS1)).toEqual(after.d1);
  expect((await lake.readManifest(DATASET, DS1))!.meta.kafka).toMatchObject({ late_in: { rows: LATE_DS1 } });
  await expectEachOnceInItsDay(lake);
});

it('lands every record once when the arrival day is ingested before the event day', async () => {
  const cfg = config(await newTopic());
  const lake = tempLake();
  await runIngest(stepContext(cfg, lake, 'orders', DS2));
  // DS1 holds DS2's late events only; its first run reads its own interval (by time), not an empty recorded range.
  expect((await lake.readManifest(DATASET, DS1))!.meta.kafka).toMatchObject({ ranges: [], late_in: { rows: LATE_DS1 } });
  expect((await runIngest(stepContext(cfg, lake, 'orders', DS1))).rowsOut).toBe(PER_DAY);
  expect((await lake.readManifest(DATASET, DS1))!.rows).toBe(PER_DAY + LATE_DS1);
  await expectEachOnceInItsDay(lake);
});

it('keeps late events in the day they arrived in with late_events: arrival_day, counting them for their event days', async () => {
  const cfg = config(await newTopic(), 'arrival_day');
  const lake = tempLake();
  await runIngest(stepContext(cfg, lake, 'orders', DS1));
  const day2 = await runIngest(stepContext(cfg, lake, 'orders', DS2));
  expect(day2.outputs.map((o) => o.rows)).toEqual([PER_DAY]);
  expect((await lake.readManifest(DATASET, DS2))!.meta.kafka).toMatchObject({ read: PER_DAY, landed: PER_DAY, moved_late: 0, late: { [DS0]: LATE_DS0, [DS1]: LATE_DS1 } });
  expect(await lake.listPartitions(DATASET)).toEqual([DS1, DS2]);
  expect((await keysOf(lake, DS1)).length).toBe(PER_DAY);
});
