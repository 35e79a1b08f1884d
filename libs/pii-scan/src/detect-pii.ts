/** The kinds of personal data the scan recognises in text. */
export type PiiKind = 'email' | 'phone' | 'card' | 'ssn';

export const PII_KINDS: readonly PiiKind[] = Object.freeze(['email', 'phone', 'card', 'ssn']);

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// NANP with separators or parentheses ("(555) 123-4567", "555.123.4567", "+1 555 123 4567"), a
// bare 10-digit number, or E.164 ("+4915112345678"). Word boundaries keep ids like CUST0001234567 out.
const PHONE = /(?<![\w+])(?:(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}|\+[1-9]\d{7,14})(?!\w)/;
// 13 to 19 digits, optionally in groups separated by single spaces or dashes.
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// Area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/;

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

/** Whether the text holds a card number: 13-19 digits (spaces or dashes between) passing Luhn, not all one digit. */
export function containsCardNumber(text: string): boolean {
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m; m = CARD.exec(text)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && passesLuhn(digits)) return true;
  }
  return false;
}

const DETECTORS: Readonly<Record<PiiKind, (text: string) => boolean>> = Object.freeze({
  email: (t: string) => t.includes('@') && EMAIL.test(t),
  phone: (t: string) => PHONE.test(t),
  card: (t: string) => containsCardNumber(t),
  ssn: (t: string) => SSN.test(t),
});

/** The kinds among `kinds` that the text looks like it holds. Pure. */
export function detectPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): PiiKind[] {
  const found: PiiKind[] = [];
  // Fewer than 7 characters cannot hold any of them: skips codes, flags and small numbers fast.
  if (text.length < 7) return found;
  for (const k of kinds) if (DETECTORS[k](text)) found.push(k);
  return found;
}
