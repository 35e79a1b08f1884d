import { decimalDigitsOf } from './unicode-digits';

/**
 * Method `pattern`, e.g. "XXX-XXX-####" for phone numbers. The output always has the pattern's
 * shape: each "#" shows one of the value's LAST digits (right-aligned, so the number of "#" is
 * the number of digits kept), each "X" is a literal "X", and every other character is copied.
 * Only the digits of the value count; its punctuation and spaces are ignored, so
 * "555-123-4567", "(555) 123 4567" and "+1 555 123 4567" all give "XXX-XXX-4567". Digits of
 * every script count and are shown as ASCII ("٥٥٥-١٢٣-٤٥٦٧" gives "XXX-XXX-4567").
 *
 * A value with no more digits than the pattern has "#" would be shown whole, so it is masked
 * fully instead: every "#" becomes "X" ("4567" -> "XXX-XXX-XXXX"). `hasTooFewDigits` tells
 * callers which values those were. Null stays null.
 */
export function maskPattern(value: string | null | undefined, pattern: string): string | null {
  if (value === null || value === undefined) return null;
  const keep = keptDigitsOf(pattern);
  const digits = decimalDigitsOf(value);
  if (digits.length <= keep) return pattern.replace(/#/g, 'X');
  let next = digits.length - keep;
  let out = '';
  for (const ch of pattern) out += ch === '#' ? digits[next++] : ch;
  return out;
}

/** Whether `maskPattern` masks this value fully because it has no more digits than the pattern keeps. */
export function hasTooFewDigits(value: string, pattern: string): boolean {
  return decimalDigitsOf(value).length <= keptDigitsOf(pattern);
}

/** Number of "#" in a pattern: the digits it keeps. */
export function keptDigitsOf(pattern: string): number {
  let n = 0;
  for (const ch of pattern) if (ch === '#') n++;
  return n;
}
