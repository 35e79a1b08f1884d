import { BoundaryFilter, formatCursor, keyOf, lowerBound, parseCursor } from './boundary-filter';

const T = (s: string) => Date.parse(s);

describe('BoundaryFilter', () => {
  it('loads everything on a first read and remembers the rows inside the lookback window', () => {
    const f = new BoundaryFilter('timestamp', 60);
    expect(f.accept(T('2026-01-01T00:00:00Z'), () => keyOf([1]))).toBe(true);
    expect(f.accept(T('2026-01-01T00:10:00Z'), () => keyOf([2]))).toBe(true);
    expect(f.accept(T('2026-01-01T00:09:30Z'), () => keyOf([3]))).toBe(true);
    expect(f.next('updated_at')).toEqual({
      cursor: 'updated_at',
      cursor_type: 'timestamp',
      watermark: '2026-01-01T00:10:00.000Z',
      boundary: ['[2]@2026-01-01T00:10:00.000Z', '[3]@2026-01-01T00:09:30.000Z'],
    });
  });

  it('drops rows already loaded with the same cursor value, keeps changed and late ones', () => {
    const prev = { watermark: '2026-01-01T00:10:00.000Z', boundary: ['[2]@2026-01-01T00:10:00.000Z', '[3]@2026-01-01T00:09:30.000Z'] };
    const f = new BoundaryFilter('timestamp', 60, prev);
    expect(f.accept(T('2026-01-01T00:10:00Z'), () => keyOf([2]))).toBe(false); // unchanged, at the watermark
    expect(f.accept(T('2026-01-01T00:11:00Z'), () => keyOf([3]))).toBe(true); // updated again
    expect(f.accept(T('2026-01-01T00:09:45Z'), () => keyOf([4]))).toBe(true); // committed late
    expect(f.accept(null, () => keyOf([5]))).toBe(true);
    expect([f.accepted, f.dropped]).toEqual([3, 1]);
    expect(f.next('updated_at')?.watermark).toBe('2026-01-01T00:11:00.000Z');
  });

  it('keeps the window bounded as the watermark moves', () => {
    const f = new BoundaryFilter('int', 10);
    for (let i = 0; i < 200_000; i++) f.accept(BigInt(i), () => keyOf([i]));
    const s = f.next('id')!;
    expect(s.watermark).toBe('199999');
    expect(s.boundary).toHaveLength(11);
  });

  it('formats and parses cursors of each type', () => {
    expect(formatCursor('date', T('2026-03-04T00:00:00Z'))).toBe('2026-03-04');
    expect(parseCursor('date', '2026-03-04')).toBe(T('2026-03-04T00:00:00Z'));
    expect(parseCursor('int', '9007199254740993')).toBe(9007199254740993n);
    expect(lowerBound('int', 100n, 5)).toBe(95n);
    expect(lowerBound('int', 100, 5)).toBe(95);
    expect(lowerBound('date', T('2026-03-04T00:00:00Z'), 86400)).toBe(T('2026-03-03T00:00:00Z'));
    expect(() => parseCursor('timestamp', 'yesterday')).toThrow(/not a timestamp/);
  });
});
