const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * The decimal digits of a text in order, as ASCII: every Unicode decimal digit counts
 * (Arabic-Indic "٥", full-width "５", Devanagari "५"), so a number written in another script is
 * masked like one written in ASCII. Unicode lays each script's digits out as a run of ten
 * starting at zero, which gives each digit's value.
 */
export function decimalDigitsOf(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c >= 48 && c <= 57) out += ch;
    else if (c > 127 && DECIMAL_DIGIT.test(ch)) out += String(digitValueOf(c));
  }
  return out;
}

function digitValueOf(codePoint: number): number {
  let n = 0;
  while (n < 9 && DECIMAL_DIGIT.test(String.fromCodePoint(codePoint - n - 1))) n++;
  // Runs of several scripts' digits sit back to back (mathematical digits): ten per script.
  return n % 10;
}
