import { planDailyDelivery } from './daily-delivery-plan';
import { generateDailyTransactions } from './generate-daily-transactions';
import { generateProducts } from './generate-products';
import { generateOrderEvents, orderEventOf, type OrderEvent } from './order-events';
import { validatePublishEventsConfig } from './publish-events-config';
import { orderEventToMessage, sendSize } from './publish-order-events';
import { transactionToCsvFields } from './transaction-to-csv-fields';

const DAY_MS = 86_400_000;
const D = Date.UTC(2026, 10, 26);
const products = [...generateProducts({ seed: 42, count: 200 })];
const universe = { seed: 42, baseCount: 1_000, customerCount: 316, products, locationCount: 50 };
const eventsOf = (fromEpochMs: number, toEpochMs = fromEpochMs) => [...generateOrderEvents({ ...universe, fromEpochMs, toEpochMs })];
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
/** An event's line as sales_transactions.csv writes it. */
const lineOf = (e: OrderEvent) =>
  [e.value.transaction_id, e.value.customer_id, e.value.product_id, e.value.location_id, String(e.value.quantity), e.value.unit_price, e.value.discount, e.value.tax_amount, e.value.total_amount, e.value.transaction_timestamp].join(',');

const today = eventsOf(D);
const plan = planDailyDelivery(D, 1_000);

describe('generateOrderEvents', () => {
  it('carries the lines of the daily delivery of ds, keyed by transaction id, the duplicate line included', () => {
    const csv = [...generateDailyTransactions({ ...universe, dsEpochMs: D })].map((row) => transactionToCsvFields(row).join(','));
    expect(today).toHaveLength(plan.regular + 1 + plan.late + plan.corrections);
    expect(today.map(lineOf).sort()).toEqual(csv.sort());
    expect(today.every((e) => e.key === e.value.transaction_id && e.ds === '2026-11-26')).toBe(true);
    expect(today.filter((e) => e.key === 'TXN20261126-00000750')).toHaveLength(2);
  });

  it('publishes in time order inside the delivery day, the late sales and corrections among the regular ones', () => {
    const times = today.map((e) => e.publishMs);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(times.every((t) => dayOf(t) === dayOf(D))).toBe(true);
    const extra = today.map((e, i) => [e, i] as const).filter(([e]) => e.late || e.value.event_type === 'order_corrected');
    expect(extra).toHaveLength(plan.late + plan.corrections);
    // Spread over the day, not appended at its end.
    expect(extra[0]![1]).toBeLessThan(today.length / 2);
  });

  it('stamps new sales with their own time and version 1: late ones on an earlier day', () => {
    const created = today.filter((e) => e.value.event_type === 'order_created');
    expect(created).toHaveLength(plan.regular + 1 + plan.late);
    expect(created.every((e) => e.value.version === 1)).toBe(true);
    const sound = created.filter((e) => e.value.transaction_timestamp !== '2026-13-45 25:61');
    expect(sound.every((e) => e.value.event_time === e.value.transaction_timestamp)).toBe(true);
    const late = created.filter((e) => e.late);
    expect(late).toHaveLength(plan.late);
    for (const e of late) {
      expect(dayOf(Date.parse(e.value.event_time))).toBeLessThan(dayOf(D));
      expect(dayOf(D) - dayOf(Date.parse(e.value.event_time))).toBeLessThanOrEqual(3);
      expect(Date.parse(e.value.event_time)).toBeLessThan(e.publishMs);
    }
    // The sale with an unreadable time still has a valid event time (its publish time), so it lands and standardize rejects it.
    const dirty = created.find((e) => e.value.transaction_timestamp === '2026-13-45 25:61')!;
    expect(dirty.value.event_time).toBe(new Date(dirty.publishMs).toISOString().slice(0, 19) + 'Z');
  });

  it('publishes a correction under the id it corrects, one version per day since its first delivery, stamped when it is made', () => {
    const corrected = today.filter((e) => e.value.event_type === 'order_corrected');
    expect(corrected).toHaveLength(plan.corrections);
    for (const e of corrected) {
      const first = Date.UTC(Number(e.key.slice(3, 7)), Number(e.key.slice(7, 9)) - 1, Number(e.key.slice(9, 11)));
      expect(e.value.version).toBe(1 + dayOf(D) - dayOf(first));
      expect(e.value.version).toBeGreaterThanOrEqual(2);
      expect(e.value.event_time).toBe(new Date(e.publishMs).toISOString().slice(0, 19) + 'Z');
      expect(e.late).toBe(false);
    }
  });

  it('publishes a range day after day, a correction of an earlier day of the range after the sale it corrects', () => {
    const range = eventsOf(D - 6 * DAY_MS, D);
    expect(range.map((e) => e.ds)[0]).toBe('2026-11-20');
    expect(range.map((e) => e.publishMs).every((t, i, a) => i === 0 || t >= a[i - 1]!)).toBe(true);
    const firstSeen = new Map<string, OrderEvent>();
    let inRange = 0;
    for (const e of range) {
      const before = firstSeen.get(e.key);
      if (e.value.event_type === 'order_corrected' && before) {
        inRange++;
        expect(e.value.version).toBe(1 + dayOf(e.publishMs) - dayOf(before.publishMs));
        expect(e.value.total_amount !== before.value.total_amount || e.value.quantity !== before.value.quantity || e.value.discount !== before.value.discount).toBe(true);
      }
      if (!before) firstSeen.set(e.key, e);
    }
    expect(inRange).toBeGreaterThan(0);
    // The same days give the same events, and a day's events do not depend on the range.
    expect(eventsOf(D)).toEqual(today);
    expect(range.filter((e) => e.ds === '2026-11-26')).toEqual(today);
  });

  it('refuses an id that is not a daily one', () => {
    const row = { transaction_id: 'TXN00000001', customer_id: 'C', product_id: 'P', location_id: 'L', quantity: 1, unit_price: 1, discount: 0, tax_amount: 0.08, total_amount: 1.08, transaction_timestamp: '2026-11-26T00:00:00Z' };
    expect(() => orderEventOf(row, dayOf(D), D)).toThrow(/not a daily transaction id: TXN00000001/);
  });
});

describe('orderEventToMessage', () => {
  const event = today.find((e) => e.value.event_type === 'order_corrected')!;
  it('keys the record by transaction id with the JSON value and the event type header', () => {
    const m = orderEventToMessage(event, 'publish');
    expect(m.key).toBe(event.key);
    expect(JSON.parse(String(m.value))).toEqual(event.value);
    expect(m.headers).toEqual({ event_type: 'order_corrected' });
    expect(m.timestamp).toBeUndefined();
  });
  it('stamps the record with its time in the delivery day for a backfill', () => {
    expect(orderEventToMessage(event, 'day').timestamp).toBe(String(event.publishMs));
  });
  it('keeps money as text with 2 decimals', () => {
    const v = JSON.parse(String(orderEventToMessage(today[0]!, 'day').value));
    expect(v.unit_price).toMatch(/^\d+\.\d{2}$/);
    expect(v.total_amount).toMatch(/^\d+\.\d{2}$/);
    expect(typeof v.quantity).toBe('number');
  });
});

describe('sendSize', () => {
  it('sends about 20 times a second, 1 to 1,000 records', () => {
    expect(sendSize(5)).toBe(1);
    expect(sendSize(1_000)).toBe(50);
    expect(sendSize(1_000_000)).toBe(1_000);
    expect(sendSize(0)).toBe(1_000);
  });
});

describe('validatePublishEventsConfig', () => {
  it('fills the defaults', () => {
    const { config, errors } = validatePublishEventsConfig({ kafkaBrokers: 'k1:9092, k2:9092', topic: 'orders', ds: '2026-11-26' });
    expect(errors).toEqual([]);
    expect(config).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], topic: 'orders', partitions: 3, rate: 1_000, to: '2026-11-26', toEpochMs: D, fromEpochMs: D, recordTime: 'publish', seed: 42, scale: 1 });
  });
  it('reports every problem at once', () => {
    const { config, errors } = validatePublishEventsConfig({ kafkaBrokers: 'nohost', topic: 'a b', ds: '2026-11-26', to: '2026-11-25', rate: -1, partitions: 0, recordTime: 'now' });
    expect(config).toBeUndefined();
    expect(errors).toEqual([
      'kafka-brokers: "nohost" is not host:port',
      'topic: a Kafka topic name is required (--topic; letters, digits, . _ -), got a b',
      'partitions: must be a whole number from 1 to 1000, got 0',
      'rate: must be events per second, 0 or more (0: as fast as possible), got -1',
      'to: 2026-11-25 is before ds 2026-11-26',
      'record-time: publish (stamped when sent) or day (stamped inside the delivery day, for backfills), got now',
    ]);
  });
});
