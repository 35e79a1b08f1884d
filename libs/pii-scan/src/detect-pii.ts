import { normalizeForScan } from './normalize-for-scan';

/** The kinds of personal data the scan recognises in text. */
export type PiiKind = 'email' | 'phone' | 'card' | 'ssn' | 'iban';

export const PII_KINDS: readonly PiiKind[] = Object.freeze(['email', 'phone', 'card', 'ssn', 'iban']);

/** Countries whose national phone formats are recognised (ISO 3166 alpha-2); E.164 ("+CC ...") is recognised for all. */
export const PHONE_COUNTRIES = Object.freeze(['US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'AU', 'MX', 'BR']);

/**
 * The national formats looked for when the config names no countries. ES (nine digits from 6)
 * and IT read US zip+4 codes and short ids as phones, so they count only when declared.
 */
export const DEFAULT_PHONE_COUNTRIES = Object.freeze(['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'IN', 'AU']);

/** What detectPii looks for and in which national formats. */
export interface DetectOptions {
  readonly kinds?: readonly PiiKind[];
  /** Countries whose national phone formats count (default: DEFAULT_PHONE_COUNTRIES). */
  readonly countries?: readonly string[];
}

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;
// A run of digits with single separators between them (space, dash, dot, slash, parentheses).
const DIGIT_RUN = /(?<![\p{L}\p{N}_+])(?:\+\s?)?\(?\d(?:[ ./-]?\(?\)?[ ./-]?\d){5,22}(?![\p{L}\p{N}_])/gu;
// NANP: 3-3-4 with optional +1/1 and parentheses, area and exchange starting 2-9.
const NANP = /^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ ./-]?)\d{3}[ ./-]?\d{4}$/;
// Area 000, 666 and 9xx, group 00 and serial 0000 are never issued; the separators must agree.
const SSN = /(?<![\d-])(?!000|666|9\d\d)(\d{3})([- .]?)(?!00)(\d{2})\2(?!0000)(\d{4})(?![\d-])/g;
const SSN_CONTEXT = /\b(ssn|ssns|social security|soc\.? ?sec|tin|itin|taxpayer)\b/i;
const IBAN = /\b([A-Z]{2})(\d{2})((?: ?[A-Z0-9]){11,30})\b/g;
const DATE_LIKE = /^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{4})/;

/** National phone formats (digits only, trunk prefix included) by country. */
const NATIONAL_PHONE: Readonly<Record<string, RegExp>> = Object.freeze({
  GB: /^0(?:[1-9]\d{8,9})$/,
  DE: /^0[1-9]\d{8,11}$/,
  FR: /^0[1-9]\d{8}$/,
  ES: /^[6-9]\d{8}$/,
  IT: /^(?:0[1-9]\d{4,9}|3\d{8,9})$/,
  NL: /^0[1-9]\d{8}$/,
  IN: /^(?:0?[6-9]\d{9})$/,
  AU: /^0[2-478]\d{8}$/,
  MX: /^(?:0\d{9,10}|[1-9]\d{9})$/,
  BR: /^0?[1-9]{2}9?\d{8}$/,
});

/** IBAN length by country (ISO 13616 registry; countries not listed accept 15 to 34). */
const IBAN_LENGTH: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27, GB: 22, GR: 27,
  HR: 21, HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MT: 31, NL: 18, NO: 15, PL: 28, PT: 25,
  RO: 24, SE: 24, SI: 19, SK: 24, SM: 27, TR: 26, BR: 29, SA: 24, AE: 23, IL: 23, QA: 29, KW: 30, PK: 24, UA: 29,
});

/** Whether a digit string passes the Luhn checksum (as every payment card number does). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Whether an IBAN (spaces removed, upper case) passes its ISO 7064 mod-97 check and its country's length. */
export function isValidIban(iban: string): boolean {
  const expected = IBAN_LENGTH[iban.slice(0, 2)];
  if (expected ? iban.length !== expected : iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** Whether normalized text holds a card number: 13-19 digits with separators between groups, passing Luhn, not all one digit. */
function hasCard(runs: readonly string[]): boolean {
  return runs.some((run) => {
    if (run.startsWith('+')) return false;
    const digits = run.replace(/\D/g, '');
    return digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && passesLuhn(digits);
  });
}

/** Whether the text holds a card number (see detectPii). */
export function containsCardNumber(text: string): boolean {
  return hasCard(digitRuns(normalizeForScan(text)));
}

function hasPhone(runs: readonly string[], countries: readonly string[], whole: string): boolean {
  for (const raw of runs) {
    const run = raw.trim();
    if (DATE_LIKE.test(run)) continue;
    const digits = run.replace(/\D/g, '');
    if (run.startsWith('+')) {
      // E.164: a country code and 7 to 14 more digits; "+1" numbers must also be NANP-shaped.
      if (digits.length >= 8 && digits.length <= 15 && digits[0] !== '0' && (digits[0] !== '1' || NANP.test(run))) return true;
      continue;
    }
    if ((countries.includes('US') || countries.includes('CA')) && NANP.test(run)) return true;
    // A national number needs separators or to be the whole value, else any long id would be a phone.
    for (const c of countries) {
      const re = NATIONAL_PHONE[c];
      if (re && re.test(digits) && (digits.length !== run.length || run === whole)) return true;
    }
  }
  return false;
}

function hasSsn(text: string, wholeValue: boolean): boolean {
  SSN.lastIndex = 0;
  for (let m = SSN.exec(text); m; m = SSN.exec(text)) {
    // Nine bare digits are an SSN only as a whole value or next to a word that says so.
    if (m[2] === '' && !(wholeValue && m[0].length === text.trim().length) && !SSN_CONTEXT.test(text)) continue;
    return true;
  }
  return false;
}

function hasIban(text: string): boolean {
  IBAN.lastIndex = 0;
  const upper = text.toUpperCase();
  for (let m = IBAN.exec(upper); m; m = IBAN.exec(upper)) {
    const compact = m[0].replace(/ /g, '');
    // The longest match may run into a following word: try the country's length too.
    const len = IBAN_LENGTH[m[1]!];
    if (isValidIban(compact) || (len && compact.length > len && isValidIban(compact.slice(0, len)))) return true;
  }
  return false;
}

function digitRuns(text: string): string[] {
  return [...text.matchAll(DIGIT_RUN)].map((m) => m[0]);
}

/**
 * The kinds that the text looks like it holds. The text is normalized first (NFKC, digits of every
 * script, every dash and space; see normalizeForScan). Recognised: emails; phones in E.164 and the
 * national formats of `countries`; card numbers of 13-19 digits passing Luhn, separated or not;
 * US SSNs (separated, or nine bare digits as a whole value or after a word like "SSN"); IBANs
 * passing mod 97. Pure.
 */
export function detectPii(text: string, kindsOrOptions: readonly PiiKind[] | DetectOptions = PII_KINDS): PiiKind[] {
  const opts: DetectOptions = Array.isArray(kindsOrOptions) ? { kinds: kindsOrOptions as readonly PiiKind[] } : (kindsOrOptions as DetectOptions);
  const kinds = opts.kinds ?? PII_KINDS;
  const found: PiiKind[] = [];
  // Fewer than 6 characters cannot hold any of them: skips codes, flags and small numbers fast.
  if (text.length < 6) return found;
  const t = normalizeForScan(text);
  let runs: string[] | undefined;
  const runsOf = () => (runs ??= digitRuns(t));
  for (const k of kinds) {
    const hit =
      k === 'email' ? t.includes('@') && EMAIL.test(t)
      : k === 'phone' ? hasPhone(runsOf(), opts.countries ?? DEFAULT_PHONE_COUNTRIES, t.trim())
      : k === 'card' ? hasCard(runsOf())
      : k === 'ssn' ? hasSsn(t, true)
      : hasIban(t);
    if (hit) found.push(k);
  }
  return found;
}
