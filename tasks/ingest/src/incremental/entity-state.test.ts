import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { planStart, readPreviousState, STATE_FORMAT, writeEntityState, type EntityState } from './entity-state';

const interval = (start: string, end: string) => ({ start: `${start}T00:00:00.000Z`, end: `${end}T00:00:00.000Z` });
const watermark = (w: string) => ({ cursor: 'updated_at', cursor_type: 'timestamp' as const, watermark: w, boundary: [] });
const state = (ds: string, extra: Partial<EntityState> = {}): EntityState => ({ format: STATE_FORMAT, source: 's', entity: 'e', ds, run_id: 'r', updated_at: 'x', ...extra });

describe('planStart', () => {
  it('continues from the previous day when its read ended where this interval starts', () => {
    const previous = state('2026-11-24', { read_to: '2026-11-25T00:00:00.000Z', watermark: watermark('2026-11-24T23:10:00.000Z') });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false, previous })).toEqual({ start: { watermark: previous.watermark, files: undefined }, after: '2026-11-24' });
  });

  it('starts at the interval when the previous day read less far than this interval starts (days between not run)', () => {
    const previous = state('2026-11-22', { read_to: '2026-11-23T00:00:00.000Z', watermark: watermark('2026-11-22T10:00:00.000Z') });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false, previous })).toEqual({
      gap: { from: '2026-11-23T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z', ds: '2026-11-22' },
    });
  });

  it('continues after an unbounded read (an integer cursor, files, an API), and from nowhere on a full refresh or a first day', () => {
    const previous = state('2026-11-20', { files: { a: '1' } });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false, previous }).start).toEqual({ watermark: undefined, files: { a: '1' } });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: true, previous })).toEqual({ fullRefresh: true });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false })).toEqual({});
  });

  it('re-runs the day of a full refresh as a full refresh, so the initial load keeps its history', () => {
    const own = state('2026-11-25', { full_refresh: true });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false, own, previous: state('2026-11-24') })).toEqual({ fullRefresh: true });
    expect(planStart({ ds: '2026-11-25', interval: interval('2026-11-25', '2026-11-26'), fullRefresh: false, own: state('2026-11-25') })).toEqual({});
  });

  it('upgrades from the one-file state: continues after an earlier ds, restarts its own ds where it started, ignores a later ds', () => {
    const legacy = state('2026-11-24', { watermark: watermark('2026-11-24T10:00:00.000Z'), start: { watermark: watermark('2026-11-23T08:00:00.000Z') } });
    const at = (ds: string) => planStart({ ds, interval: interval(ds, ds), fullRefresh: false, legacy });
    expect(at('2026-11-25').start?.watermark?.watermark).toBe('2026-11-24T10:00:00.000Z');
    expect(at('2026-11-24').start?.watermark?.watermark).toBe('2026-11-23T08:00:00.000Z');
    expect(at('2026-11-23')).toEqual({});
  });
});

describe('readPreviousState', () => {
  it('reads the latest earlier day and the day itself, and the one-file state only before the first per-day one', async () => {
    const lake = new Lake(new LocalStorage(mkdtempSync(path.join(os.tmpdir(), 'state-'))));
    await lake.writeJson(datasets.stateKey('s', 'e'), state('2026-11-20', { watermark: watermark('2026-11-20T05:00:00.000Z') }));
    // Another entity whose name starts the same must not be read.
    await writeEntityState(lake, { source: 's', entity: 'e_x', ds: '2026-11-24', run_id: 'x' });
    expect((await readPreviousState(lake, 's', 'e', '2026-11-25')).legacy?.ds).toBe('2026-11-20');
    for (const ds of ['2026-11-21', '2026-11-23', '2026-11-26']) await writeEntityState(lake, { source: 's', entity: 'e', ds, run_id: `r${ds}` });
    const at25 = await readPreviousState(lake, 's', 'e', '2026-11-25');
    expect([at25.previous?.ds, at25.own, at25.legacy]).toEqual(['2026-11-23', undefined, undefined]);
    const at23 = await readPreviousState(lake, 's', 'e', '2026-11-23');
    expect([at23.previous?.ds, at23.own?.ds]).toEqual(['2026-11-21', '2026-11-23']);
    expect((await readPreviousState(lake, 's', 'e', '2026-11-21')).legacy?.ds).toBe('2026-11-20');
  });
});
