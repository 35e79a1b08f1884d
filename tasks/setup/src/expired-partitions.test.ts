import { expiredKeys } from './expired-partitions';

describe('expiredKeys', () => {
  it('keeps partitions within the retention counted from ds, not the clock', () => {
    const keys = ['raw/files/a/x/dt=2026-08-27/_manifest.json', 'raw/files/a/x/dt=2026-08-28/p.parquet', 'raw/files/a/x/dt=2026-11-26/p.parquet', 'raw/notes.txt'];
    expect(expiredKeys(keys, '2026-11-26', 90)).toEqual(['raw/files/a/x/dt=2026-08-27/_manifest.json']);
    expect(expiredKeys(keys, '2026-08-30', 90)).toEqual([]);
  });
});
