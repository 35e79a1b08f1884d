/** What `generalize` coarsens to. */
export type GeneralizeTarget = 'year' | 'month' | 'zip3' | 'bucket';

const ISO_DATE = /^(\d{4})-(\d{2})/;

/**
 * Method `generalize`: keeps a coarse version of the value, as text.
 * - year / month: a date or timestamp (epoch ms, Date, or text starting YYYY-MM) -> "1980" / "1980-01".
 * - zip3: the first 3 digits of a zip code ("62701-1234" -> "627"); fewer than 5 digits -> null.
 * - bucket: a number -> its bucket "lo-hi" of width `bucketSize` (37 with 10 -> "30-40").
 * A value that cannot be read as the target's kind becomes null: better no value than a leak.
 */
export function generalizeValue(value: unknown, to: GeneralizeTarget, bucketSize = 10): string | null {
  if (value === null || value === undefined) return null;
  switch (to) {
    case 'year':
    case 'month': {
      const ym = yearMonthOf(value);
      if (!ym) return null;
      return to === 'year' ? ym.slice(0, 4) : ym;
    }
    case 'zip3': {
      const digits = String(value).replace(/\D/g, '');
      return digits.length >= 5 ? digits.slice(0, 3) : null;
    }
    case 'bucket': {
      const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number(String(value).trim());
      if (!Number.isFinite(n) || String(value).trim() === '') return null;
      const lo = Math.floor(n / bucketSize) * bucketSize;
      return `${trimFloat(lo)}-${trimFloat(lo + bucketSize)}`;
    }
  }
}

function yearMonthOf(value: unknown): string | null {
  if (typeof value === 'number' || value instanceof Date) {
    const d = new Date(value instanceof Date ? value.getTime() : value);
    if (Number.isNaN(d.getTime())) return null;
    return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  }
  const m = ISO_DATE.exec(String(value).trim());
  return m && +m[2]! >= 1 && +m[2]! <= 12 ? `${m[1]}-${m[2]}` : null;
}

/** 0.30000000000000004 -> "0.3": bucket bounds are for people. */
function trimFloat(n: number): string {
  return String(Number(n.toPrecision(12)));
}
