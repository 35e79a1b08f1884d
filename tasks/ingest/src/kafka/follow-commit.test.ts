import type { Manifest } from '@salesflow/lake';
import { landingDay, mergeQuarantine, mergeRaw, type MicroBatchShare } from './follow-commit';

const owner = { source: 'orders', group: 'g' };
const manifestWith = (kafka: Record<string, unknown>) => ({ ds: '2026-11-26', meta: { kafka } }) as unknown as Manifest;
const share = (over: Partial<MicroBatchShare> = {}): MicroBatchShare => ({
  ranges: [{ topic: 't', partition: 0, from: '100', to: '150' }],
  read: 50,
  landed: 49,
  quarantined: 1,
  quarantineRows: 1,
  quarantinedBelow: new Map(),
  ...over,
});

describe('landingDay', () => {
  it('is the day of the timestamp, never before the partition current day', () => {
    expect(landingDay(undefined, Date.parse('2026-11-26T23:59:59Z'))).toBe('2026-11-26');
    expect(landingDay('2026-11-26', Date.parse('2026-11-28T00:00:00Z'))).toBe('2026-11-28');
    // A late record stays in the day its partition is in, as batch mode's offset boundary keeps it.
    expect(landingDay('2026-11-27', Date.parse('2026-11-26T10:00:00Z'))).toBe('2026-11-27');
  });
});

describe('mergeRaw', () => {
  it('starts a new partition and extends a range that ends where the share starts', () => {
    expect(mergeRaw(undefined, share(), owner)).toEqual({ meta: { source: 'orders', kind: 'kafka', mode: 'follow', kafka: { group: 'g', ranges: [{ topic: 't', partition: 0, from: '100', to: '150' }], read: 50, landed: 49, quarantined: 1, micro_batches: 1, late: {}, moved_late: 0 } } });
    const prev = manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '100' }, { topic: 't', partition: 1, from: '7', to: '9' }], read: 102, landed: 100, quarantined: 2, micro_batches: 3 });
    expect(mergeRaw(prev, share(), owner)).toMatchObject({ meta: { kafka: { ranges: [{ partition: 0, from: '0', to: '150' }, { partition: 1, from: '7', to: '9' }], read: 152, landed: 149, quarantined: 3, micro_batches: 4 } } });
    // Late events a later day appended to this one (late_in) stay recorded; records moved out add up.
    const lateIn = { rows: 2, ranges: [{ topic: 't', partition: 0, arrived_in: '2026-11-27', to: '9' }], files: ['k'], from: { '2026-11-27': 2 } };
    const withLate = manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '100' }], read: 100, landed: 99, quarantined: 0, moved_late: 1, micro_batches: 3, late_in: lateIn });
    expect(mergeRaw(withLate, { ...share(), movedLate: 2 }, owner)).toMatchObject({ meta: { kafka: { late_in: lateIn, moved_late: 3 } } });
  });

  it('adds up late events by their event ds', () => {
    const prev = manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '100' }], late: { '2026-11-24': 2 } });
    expect(mergeRaw(prev, share({ late: { '2026-11-24': 1, '2026-11-20': 5 } }), owner)).toMatchObject({ meta: { kafka: { late: { '2026-11-20': 5, '2026-11-24': 3 } } } });
  });

  it('refuses a share whose offsets another member already committed, or that leaves a gap', () => {
    const ahead = manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '120' }] });
    expect(mergeRaw(ahead, share(), owner)).toEqual({ conflict: 't/0: dt=2026-11-26 records offsets up to 120, this micro-batch starts at 100' });
    expect(mergeRaw(manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '90' }] }), share(), owner)).toHaveProperty('conflict');
  });
});

describe('mergeQuarantine', () => {
  it('adds bad records past what quarantine holds, and refuses to write any again', () => {
    const prev = manifestWith({ ranges: [{ topic: 't', partition: 0, from: '0', to: '130' }], quarantined: 4 });
    // A raw commit that never happened after its quarantine commit: read again, records below 130 were left out.
    expect(mergeQuarantine(prev, share({ quarantinedBelow: new Map([['t/0', 130n]]) }), owner)).toMatchObject({ meta: { kafka: { ranges: [{ from: '0', to: '150' }], quarantined: 5 } } });
    expect(mergeQuarantine(prev, share(), owner)).toEqual({ conflict: 't/0: quarantine dt=2026-11-26 holds bad records up to 130, this micro-batch writes from 100' });
  });
});
