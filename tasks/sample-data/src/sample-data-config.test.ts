import { validateSampleDataConfig } from './sample-data-config';

describe('validateSampleDataConfig', () => {
  it('fills defaults and derives ds midnight', () => {
    const { config, errors } = validateSampleDataConfig({ out: '/tmp/landing', ds: '2026-11-26' });
    expect(errors).toEqual([]);
    expect(config).toEqual({ outDir: '/tmp/landing', ds: '2026-11-26', dsEpochMs: Date.UTC(2026, 10, 26), seed: 42, scale: 1, days: 365, daily: false });
  });

  it('takes a daily delivery as one day, and refuses --days with it', () => {
    expect(validateSampleDataConfig({ out: 'x', ds: '2026-11-26', daily: true }).config).toMatchObject({ daily: true, days: 1 });
    expect(validateSampleDataConfig({ out: 'x', ds: '2026-11-26', daily: true, days: 30 }).errors).toEqual(['days: a daily delivery holds the one day ds; leave out --days with --daily']);
  });

  it('reports every problem at once, each with its field', () => {
    const { config, errors } = validateSampleDataConfig({ ds: '2026-02-30', seed: -1, scale: 0.01, days: 1.5 });
    expect(config).toBeUndefined();
    expect(errors).toEqual([
      'out: a landing folder is required (--out <folder>)',
      'ds: "2026-02-30" is not a real calendar date; expected a real date as YYYY-MM-DD, e.g. 2026-11-26',
      'seed: must be a non-negative integer, got -1',
      'scale: must be a number from 0.1 to 9999, got 0.01',
      'days: must be a whole number from 1 to 3660, got 1.5',
    ]);
  });

  it('rejects NaN, which yargs gives for a non-numeric --scale', () => {
    expect(validateSampleDataConfig({ out: 'x', ds: '2026-11-26', scale: Number.NaN }).errors).toEqual(['scale: must be a number from 0.1 to 9999, got NaN']);
  });
});
