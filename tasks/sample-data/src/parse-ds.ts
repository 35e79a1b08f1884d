/** Outcome of parsing a ds: the UTC midnight it names, or why it is not a date. */
export type ParseDsResult = { readonly ok: true; readonly epochMs: number } | { readonly ok: false; readonly error: string };

/**
 * Parses a partition date `YYYY-MM-DD` as UTC midnight. It must be a real calendar
 * date (2026-02-30 is not) with a year from 1970 to 9999.
 */
export function parseDs(ds: string): ParseDsResult {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ds);
  if (match === null) return { ok: false, error: `"${ds}" is not in the form YYYY-MM-DD` };
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const epochMs = Date.UTC(year, month - 1, day);
  const date = new Date(epochMs);
  // Date.UTC rolls an out-of-range month or day over into the next one; a real date survives the round trip.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { ok: false, error: `"${ds}" is not a real calendar date` };
  }
  if (year < 1970) return { ok: false, error: `"${ds}" is before 1970` };
  return { ok: true, epochMs };
}
