import type { Normalizer } from '@salesflow/config';

/** A normalized text value, or the reason it cannot be normalized (the row is rejected). */
export type NormalizeResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/**
 * The phone number as E.164, "+<country code><number>": a leading "+" or "00" keeps the
 * number's own country code, otherwise `countryCode` is added (a national trunk "0" dropped;
 * for code 1, an 11-digit number starting with 1 already has it). Undefined when it has fewer
 * than 8 or more than 15 digits.
 */
export function toE164(text: string, countryCode: string): string | undefined {
  const t = text.trim();
  const digits = t.replace(/\D/g, '');
  let full: string;
  if (t.startsWith('+')) full = digits;
  else if (digits.startsWith('00')) full = digits.slice(2);
  else if (countryCode === '1' && digits.length === 11 && digits.startsWith('1')) full = digits;
  else full = countryCode + (countryCode !== '1' && digits.startsWith('0') ? digits.slice(1) : digits);
  return full.length >= 8 && full.length <= 15 ? '+' + full : undefined;
}

const STEPS: Readonly<Record<Normalizer, (v: string, cc: string) => string | undefined>> = {
  trim: (v) => v.trim(),
  lower: (v) => v.toLowerCase(),
  upper: (v) => v.toUpperCase(),
  collapse_spaces: (v) => v.replace(/\s+/g, ' ').trim(),
  email: (v) => v.trim().toLowerCase(),
  e164: (v, cc) => toE164(v, cc),
};

/** The normalizers of a column as one function over trimmed, non-empty text; undefined when there are none. */
export function normalizerOf(steps: readonly Normalizer[], countryCode: string): ((text: string) => NormalizeResult) | undefined {
  const active = steps.filter((s) => s !== 'trim');
  if (active.length === 0) return undefined;
  return (text) => {
    let v = text;
    for (const s of active) {
      const next = STEPS[s](v, countryCode);
      if (next === undefined) return { ok: false, reason: `"${text}" is not a phone number that can be written as E.164` };
      v = next;
    }
    return { ok: true, value: v };
  };
}
