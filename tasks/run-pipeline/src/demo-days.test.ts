import { planDemoDays } from './demo-days';

const NOW = new Date('2026-12-07T02:00:00Z');

describe('planDemoDays', () => {
  it('runs yesterday alone by default, or DEMO_DS', () => {
    expect(planDemoDays({}, NOW)).toEqual({ days: ['2026-12-06'] });
    expect(planDemoDays({ DEMO_DS: '2026-11-26' }, NOW)).toEqual({ days: ['2026-11-26'] });
  });

  it('runs DEMO_FROM to DEMO_TO in order, across a month end', () => {
    expect(planDemoDays({ DEMO_FROM: '2026-11-29', DEMO_TO: '2026-12-02' }, NOW)).toEqual({ days: ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'] });
  });

  it('runs the --days N days ending at DEMO_DS or yesterday', () => {
    expect(planDemoDays({ days: 3 }, NOW)).toEqual({ days: ['2026-12-04', '2026-12-05', '2026-12-06'] });
    expect(planDemoDays({ days: 2, DEMO_DS: '2024-03-01' }, NOW)).toEqual({ days: ['2024-02-29', '2024-03-01'] });
  });

  it('names what is wrong', () => {
    expect(planDemoDays({ DEMO_FROM: '2026-11-01' }, NOW)).toEqual({ error: 'set both DEMO_FROM and DEMO_TO (got only DEMO_FROM), or use --days N' });
    expect(planDemoDays({ DEMO_FROM: '2026-11-05', DEMO_TO: '2026-11-01' }, NOW)).toEqual({ error: 'DEMO_FROM 2026-11-05 is after DEMO_TO 2026-11-01' });
    expect(planDemoDays({ DEMO_FROM: '2026-11-01', DEMO_TO: '2026-11-31' }, NOW)).toEqual({ error: 'DEMO_TO "2026-11-31" is not a date YYYY-MM-DD, e.g. 2026-11-26' });
    expect(planDemoDays({ DEMO_FROM: '2026-11-01', DEMO_TO: '2026-11-02', days: 3 }, NOW)).toEqual({ error: 'DEMO_FROM/DEMO_TO and --days both name a range; use one of them' });
    expect(planDemoDays({ days: 0 }, NOW)).toEqual({ error: '--days must be a whole number of days from 1 to 3660, got 0' });
    expect(planDemoDays({ DEMO_FROM: '2000-01-01', DEMO_TO: '2026-01-01' }, NOW)).toMatchObject({ error: expect.stringContaining('more than the 3660') });
  });
});
