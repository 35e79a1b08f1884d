import { parseDs } from './parse-ds';

describe('parseDs', () => {
  it('gives UTC midnight of a real date', () => {
    expect(parseDs('2026-11-26')).toEqual({ ok: true, epochMs: Date.UTC(2026, 10, 26) });
    expect(parseDs('2024-02-29').ok).toBe(true);
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '1900-02-29'])('rejects %s as not a calendar date', (ds) => {
    expect(parseDs(ds)).toEqual({ ok: false, error: `"${ds}" is not a real calendar date` });
  });

  it.each(['2026-1-5', '20261126', '2026-11-26T00:00:00Z', ' 2026-11-26', ''])('rejects %p as not YYYY-MM-DD', (ds) => {
    expect(parseDs(ds)).toEqual({ ok: false, error: `"${ds}" is not in the form YYYY-MM-DD` });
  });
});
