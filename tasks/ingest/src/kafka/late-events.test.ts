import type { Manifest } from '@salesflow/lake';
import { assertBalanced, lateFilesOf, mergeLateIn } from './late-events';

const owner = { source: 'orders', group: 'g' };
const file = (key: string, rows = 3) => ({ key, rows, bytes: 100 });

function manifest(meta: Record<string, unknown>, files = [file('raw/x/dt=2026-11-25/part-0.parquet')]): Manifest {
  return { format: 'salesflow.manifest/1', dataset: 'raw/x', ds: '2026-11-25', rows: files.reduce((n, f) => n + f.rows, 0), files, schema: [], schema_hash: '', producer: { step: 'ingest', run_id: 'r' }, committed_at: '', meta };
}

describe('mergeLateIn', () => {
  it('starts a partition that holds only late events, with no ranges of its own', () => {
    const r = mergeLateIn(undefined, [{ topic: 't', partition: 0, arrived_in: '2026-11-26', first: 10n, to: '13', rows: 2 }], [file('raw/x/dt=2026-11-25/part-a.parquet', 2)], owner);
    expect(r).toEqual({
      meta: {
        source: 'orders',
        kind: 'kafka',
        kafka: { group: 'g', ranges: [], read: 0, landed: 0, quarantined: 0, late_in: { rows: 2, ranges: [{ topic: 't', partition: 0, arrived_in: '2026-11-26', to: '13' }], files: ['raw/x/dt=2026-11-25/part-a.parquet'], from: { '2026-11-26': 2 } } },
      },
    });
  });

  it("keeps the day's own counts and adds to what later days appended, per topic partition and arrival day", () => {
    const prev = manifest({ source: 'orders', kind: 'kafka', kafka: { group: 'g', ranges: [{ topic: 't', partition: 0, from: '0', to: '5' }], read: 5, landed: 5, quarantined: 0, late_in: { rows: 1, ranges: [{ topic: 't', partition: 0, arrived_in: '2026-11-26', to: '8' }], files: ['k1'], from: { '2026-11-26': 1 } } } });
    const r = mergeLateIn(prev, [{ topic: 't', partition: 0, arrived_in: '2026-11-27', first: 3n, to: '4', rows: 1 }, { topic: 't', partition: 0, arrived_in: '2026-11-26', first: 8n, to: '9', rows: 1 }], [file('k2', 2), file('empty', 0)], owner);
    if (!('meta' in r)) throw new Error(r.conflict);
    expect(r.meta.kafka).toMatchObject({ ranges: [{ to: '5' }], read: 5, landed: 5 });
    expect((r.meta.kafka as { late_in: unknown }).late_in).toEqual({
      rows: 3,
      // An earlier offset is fine for another arrival day: days may be ingested out of order.
      ranges: [
        { topic: 't', partition: 0, arrived_in: '2026-11-26', to: '9' },
        { topic: 't', partition: 0, arrived_in: '2026-11-27', to: '4' },
      ],
      files: ['k1', 'k2'],
      from: { '2026-11-26': 2, '2026-11-27': 1 },
    });
  });

  it('refuses records below what the partition already holds for that arrival day (another writer landed them)', () => {
    const prev = manifest({ kafka: { late_in: { rows: 1, ranges: [{ topic: 't', partition: 1, arrived_in: '2026-11-26', to: '8' }], files: [], from: {} } } });
    const r = mergeLateIn(prev, [{ topic: 't', partition: 1, arrived_in: '2026-11-26', first: 7n, to: '12', rows: 2 }], [], owner);
    expect(r).toEqual({ conflict: expect.stringMatching(/t\/1: late records that arrived in 2026-11-26 up to offset 8 are already in dt=2026-11-25, these start at 7/) });
  });
});

it('lateFilesOf lists the files late_in names, as the manifest lists them', () => {
  const m = manifest({ kafka: { late_in: { files: ['b'] } } }, [file('a'), file('b', 4)]);
  expect(lateFilesOf(m)).toEqual([file('b', 4)]);
  expect(lateFilesOf(undefined)).toEqual([]);
});

it('assertBalanced counts records moved to their event days', () => {
  expect(() => assertBalanced({ read: 10, landed: 7, quarantined: 1, moved_late: 2 }, 'e')).not.toThrow();
  expect(() => assertBalanced({ read: 10, landed: 7, quarantined: 1 }, 'e')).toThrow('e: read 10 records but landed 7, quarantined 1 and moved 0 to their event days');
});
