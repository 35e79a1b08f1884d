import { expandDs } from './expand-ds';

describe('expandDs', () => {
  it('fills every ds placeholder, as often as it appears', () => {
    expect(expandDs('s3://landing/sales/dt={ds}/{yyyy}/{mm}/{dd}/sales_{ds_nodash}*.csv', '2026-11-05')).toBe('s3://landing/sales/dt=2026-11-05/2026/11/05/05/sales_20261105*.csv'.replace('/05/05/', '/05/'));
    expect(expandDs('{ds}-{ds}', '2026-01-02')).toBe('2026-01-02-2026-01-02');
    expect(expandDs('plain/*.csv', '2026-01-02')).toBe('plain/*.csv');
  });
});
