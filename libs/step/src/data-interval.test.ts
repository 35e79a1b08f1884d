import { ExitCode } from '@salesflow/errors';
import { resolveDataInterval } from './data-interval';

describe('resolveDataInterval', () => {
  it('defaults to the UTC day of ds', () => {
    expect(resolveDataInterval('2026-11-26')).toEqual({ start: '2026-11-26T00:00:00.000Z', end: '2026-11-27T00:00:00.000Z' });
  });

  it('reads the bounds Airflow renders, in any offset, as UTC', () => {
    expect(resolveDataInterval('2026-12-06', '2026-12-06T02:00:00+00:00', '2026-12-07T03:00:00+01:00')).toEqual({ start: '2026-12-06T02:00:00.000Z', end: '2026-12-07T02:00:00.000Z' });
    expect(resolveDataInterval('2026-12-06', '2020-01-01')).toEqual({ start: '2020-01-01T00:00:00.000Z', end: '2026-12-07T00:00:00.000Z' });
  });

  it('refuses a bound without a time zone, and an empty interval, with exit 2', () => {
    expect(() => resolveDataInterval('2026-12-06', '2026-12-06T02:00:00')).toThrow(expect.objectContaining({ exitCode: ExitCode.usage, message: expect.stringContaining('--data-interval-start "2026-12-06T02:00:00" is not an ISO-8601 instant') }));
    expect(() => resolveDataInterval('2026-12-06', undefined, '2026-12-06T00:00:00Z')).toThrow(expect.objectContaining({ exitCode: ExitCode.usage, message: expect.stringContaining('is empty') }));
  });
});
