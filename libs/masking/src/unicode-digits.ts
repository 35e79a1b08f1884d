import { asciiDigitOf } from '@salesflow/pii-scan';

/**
 * The decimal digits of a text in order, as ASCII: every Unicode decimal digit counts
 * (Arabic-Indic "٥", full-width "５", Devanagari "५"), so a number written in another script is
 * masked like one written in ASCII.
 */
export function decimalDigitsOf(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (c >= 48 && c <= 57) out += ch;
    else if (c > 127) out += asciiDigitOf(ch) ?? '';
  }
  return out;
}
