import { closingOf, type PartitionEvidence } from './close-rule';

const END = Date.parse('2026-11-27T00:00:00Z');
const GRACE = 300_000;
const tp = { topic: 'orders', partition: 0 };
const at = (e: Omit<PartitionEvidence, 'topic' | 'partition'>, now = END + 60_000) => closingOf({ ...tp, ...e }, END, now, GRACE);

describe('closingOf: has the follower closed the day of a topic partition', () => {
  it('is closed when the next day with the partition starts exactly where ds ends, without asking the broker', () => {
    expect(at({ position: 120n, placed: true, later: { ds: '2026-11-27', from: 120n } })).toEqual({ closed: true, by: 'next-day' });
    // The lake had nothing of the partition up to ds: any later range shows the follower is past ds.
    expect(at({ position: 0n, placed: false, later: { ds: '2026-11-28', from: 7n } })).toEqual({ closed: true, by: 'next-day' });
  });

  it('does not trust a later day that starts elsewhere (a gap or an overlap), and asks the broker instead', () => {
    expect(at({ position: 120n, placed: true, later: { ds: '2026-11-27', from: 130n } })).toMatchObject({ closed: false, reason: expect.stringContaining('did not answer') });
    expect(at({ position: 120n, placed: true, later: { ds: '2026-11-27', from: 130n }, broker: { timestamp: END, highWatermark: 200n } })).toEqual({ closed: true, by: 'record-after-end' });
  });

  it('is closed when the record at the position is stamped at or after the interval end (offsetsForTimes(end) = position)', () => {
    expect(at({ position: 120n, placed: true, broker: { timestamp: END, highWatermark: 121n } })).toEqual({ closed: true, by: 'record-after-end' });
    expect(at({ position: 120n, placed: true, broker: { timestamp: END + 5 * 86_400_000, highWatermark: 500n } })).toEqual({ closed: true, by: 'record-after-end' });
  });

  it('is open while the record at the position is stamped in ds, and says how far the follower lags', () => {
    const c = at({ position: 120n, placed: true, broker: { timestamp: END - 90 * 60_000, highWatermark: 420n } });
    expect(c).toEqual({ closed: false, lagRecords: 300n, reason: expect.stringMatching(/300 records not landed yet: the lake ends at offset 120, the log at 420; the first record not landed is stamped 2026-11-26T22:30:00.000Z, 90 min before ds's end/) });
    // One millisecond before the end is still ds.
    expect(at({ position: 120n, placed: true, broker: { timestamp: END - 1, highWatermark: 121n } }).closed).toBe(false);
  });

  it('names the earliest retained offset when the lake records nothing of the partition', () => {
    expect(at({ position: 5n, placed: false, broker: { timestamp: END - 1000, highWatermark: 9n } })).toMatchObject({ closed: false, lagRecords: 4n, reason: expect.stringContaining('the earliest retained') });
  });

  it('closes a partition read to its end only once the grace after the interval end has passed', () => {
    const caughtUp = { position: 120n, placed: true, broker: { highWatermark: 120n } };
    expect(at(caughtUp, END + GRACE - 1)).toMatchObject({ closed: false, lagRecords: 0n, reason: expect.stringContaining('may still arrive until 2026-11-27T00:05:00.000Z') });
    expect(at(caughtUp, END + GRACE)).toEqual({ closed: true, by: 'caught-up' });
    // An empty partition nobody ever landed, long past the end.
    expect(at({ position: 0n, placed: false, broker: { highWatermark: 0n } }, END + 86_400_000)).toEqual({ closed: true, by: 'caught-up' });
  });
});
