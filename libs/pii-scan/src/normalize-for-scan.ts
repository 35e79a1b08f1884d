const DECIMAL_DIGIT = /\p{Nd}/u;
const DASHES = /[\p{Pd}\u2212\u2796\uFE63\uFF0D]/gu;
const SPACES = /[\p{Zs}\t\u00A0]/gu;
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/gu;

/**
 * The ASCII digit of a Unicode decimal digit ("٥", "５", "५" -> "5"), or undefined for any other
 * character. Unicode lays each script's digits out as a run of ten starting at zero.
 */
export function asciiDigitOf(ch: string): string | undefined {
  const c = ch.codePointAt(0)!;
  if (c >= 48 && c <= 57) return ch;
  if (c < 128 || !DECIMAL_DIGIT.test(ch)) return undefined;
  let n = 0;
  while (n < 9 && DECIMAL_DIGIT.test(String.fromCodePoint(c - n - 1))) n++;
  // Runs of several scripts' digits sit back to back (mathematical digits): ten per script.
  return String(n % 10);
}

/**
 * Text as the detectors read it: NFKC (full-width and other compatibility forms become plain
 * letters and digits), decimal digits of every script as ASCII, every dash as "-", every space as
 * " ", and invisible characters (zero-width, soft hyphen, direction marks) removed, so
 * "５５５‐１２３‐４５６７" or "555\u200B-123-4567" read as "555-123-4567". Pure.
 */
export function normalizeForScan(text: string): string {
  let t = text.normalize('NFKC').replace(INVISIBLE, '').replace(DASHES, '-').replace(SPACES, ' ');
  if (/[^\x00-\x7F]/.test(t) && DECIMAL_DIGIT.test(t)) {
    let out = '';
    for (const ch of t) out += asciiDigitOf(ch) ?? ch;
    t = out;
  }
  return t;
}
