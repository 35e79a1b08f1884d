import type { PiiKind } from '@salesflow/pii-scan';
import { seededRandom } from '../faults/kit/seeded-random';

/** One text of the corpus and the kinds of personal data it really holds (empty: none). */
export interface CorpusSample {
  readonly text: string;
  readonly kinds: readonly PiiKind[];
  /** How the sample was made, for the per-format breakdown. */
  readonly form: string;
}

const FIRST = ['emily', 'liam', 'sofia', 'noah', 'mia', 'lucas', 'zoe', 'omar', 'anna', 'ravi', 'chloe', 'jonas'];
const LAST = ['lopez', 'smith', 'nguyen', 'garcia', 'muller', 'dubois', 'rossi', 'patel', 'kim', 'okafor'];
const DOMAINS = ['example.com', 'mail.example.org', 'example.co.uk', 'posteo.de', 'uni-example.edu', 'example.fr', 'corp.example.net'];
const US_AREAS = ['212', '415', '312', '617', '202', '305', '503', '206', '512', '718', '303', '404'];
const CONTEXTS: readonly ((v: string) => string)[] = [(v) => v, (v) => `contact: ${v}`, (v) => `${v} (home)`, (v) => `Customer wrote: please use ${v} from now on.`, (v) => `${v};`];
/** Dashes and spaces other than ASCII ones, as pasted text carries them. */
const ODD_DASHES = ['\u2010', '\u2013', '\u2212'];

const digitsOf = (rnd: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');

function luhnComplete(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = partial + d;
    let sum = 0;
    let dbl = false;
    for (let i = s.length - 1; i >= 0; i--) {
      let x = s.charCodeAt(i) - 48;
      if (dbl) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}

function ibanOf(country: string, bban: string): string {
  const moved = `${bban}${country}00`;
  let rest = 0;
  for (const ch of moved) for (const d of /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch) rest = (rest * 10 + Number(d)) % 97;
  return `${country}${String(98 - rest).padStart(2, '0')}${bban}`;
}

function toScript(text: string, zero: number): string {
  return text.replace(/\d/g, (d) => String.fromCodePoint(zero + Number(d)));
}

/**
 * A labelled corpus for comparing PII detectors: positives of each kind in the forms real data
 * carries them (separators, no separators, international and national phone formats, other
 * scripts' digits, full-width forms, text around them) and hard negatives (ids, dates, amounts,
 * zip codes, hashes, tokens, masked outputs, numbers that fail their checksum). Deterministic.
 */
export function generatePiiCorpus(seed = 20261207, perForm = 40): CorpusSample[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: CorpusSample[] = [];
  const add = (form: string, kinds: PiiKind[], make: () => string) => {
    for (let i = 0; i < perForm; i++) out.push({ form, kinds, text: pick(CONTEXTS)(make()) });
  };

  // Emails.
  add('email: plain', ['email'], () => `${pick(FIRST)}.${pick(LAST)}${Math.floor(rnd() * 100)}@${pick(DOMAINS)}`);
  add('email: tag and case', ['email'], () => `${pick(FIRST).toUpperCase()}+news@${pick(DOMAINS).toUpperCase()}`);
  add('email: underscore, digits', ['email'], () => `${pick(FIRST)}_${digitsOf(rnd, 4)}@${pick(DOMAINS)}`);
  add('email: full-width at sign', ['email'], () => `${pick(FIRST)}.${pick(LAST)}\uFF20${pick(DOMAINS)}`);

  // Phones.
  const us = () => [pick(US_AREAS), String(200 + Math.floor(rnd() * 700)), digitsOf(rnd, 4)] as const;
  add('phone: US dashes', ['phone'], () => us().join('-'));
  add('phone: US parentheses', ['phone'], () => {
    const [a, b, c] = us();
    return `(${a}) ${b}-${c}`;
  });
  add('phone: US +1 dots', ['phone'], () => `+1 ${us().join('.')}`);
  add('phone: US bare 10 digits', ['phone'], () => us().join(''));
  add('phone: US other dash', ['phone'], () => us().join(pick(ODD_DASHES)));
  add('phone: US full-width digits', ['phone'], () => toScript(us().join('-'), 0xff10));
  add('phone: US Arabic-Indic digits', ['phone'], () => toScript(us().join('-'), 0x0660));
  add('phone: UK +44', ['phone'], () => `+44 20 7946 ${String(Math.floor(rnd() * 1000)).padStart(4, '0')}`);
  add('phone: UK national', ['phone'], () => `07700 900${String(Math.floor(rnd() * 1000)).padStart(3, '0')}`);
  add('phone: DE +49', ['phone'], () => `+49 30 ${digitsOf(rnd, 3)} ${digitsOf(rnd, 5).replace(/^0/, '1')}`);
  add('phone: DE national', ['phone'], () => `030 ${String(2 + Math.floor(rnd() * 7))}${digitsOf(rnd, 7)}`);
  add('phone: FR +33', ['phone'], () => `+33 1 ${Array.from({ length: 4 }, () => digitsOf(rnd, 2)).join(' ')}`);
  add('phone: FR national', ['phone'], () => `01 ${Array.from({ length: 4 }, () => digitsOf(rnd, 2)).join(' ')}`);
  add('phone: IN +91', ['phone'], () => `+91 9${digitsOf(rnd, 4)} ${digitsOf(rnd, 5)}`);
  add('phone: E.164 bare', ['phone'], () => pick([`+4420794${digitsOf(rnd, 5)}`, `+4930${digitsOf(rnd, 8)}`, `+1${pick(US_AREAS)}555${digitsOf(rnd, 4)}`]));

  // Cards: Visa, Mastercard, Amex, Discover prefixes.
  const card = () => {
    const [prefix, len] = pick([['4', 16], ['51', 16], ['55', 16], ['2221', 16], ['34', 15], ['37', 15], ['6011', 16]] as const);
    return luhnComplete(prefix + digitsOf(rnd, len - prefix.length - 1));
  };
  const group4 = (s: string, sep: string) => s.match(/.{1,4}/g)!.join(sep);
  add('card: spaces', ['card'], () => group4(card(), ' '));
  add('card: dashes', ['card'], () => group4(card(), '-'));
  add('card: bare', ['card'], () => card());
  add('card: other dash', ['card'], () => group4(card(), pick(ODD_DASHES)));
  add('card: full-width digits', ['card'], () => toScript(group4(card(), ' '), 0xff10));

  // SSNs: valid areas (not 000, 666, 9xx), groups and serials.
  const ssn = () => {
    let area = 1 + Math.floor(rnd() * 898);
    if (area === 666) area = 667;
    return [String(area).padStart(3, '0'), String(1 + Math.floor(rnd() * 99)).padStart(2, '0'), String(1 + Math.floor(rnd() * 9999)).padStart(4, '0')] as const;
  };
  add('ssn: dashes', ['ssn'], () => ssn().join('-'));
  add('ssn: spaces', ['ssn'], () => `SSN ${ssn().join(' ')}`);
  add('ssn: dots', ['ssn'], () => ssn().join('.'));
  add('ssn: bare after "SSN"', ['ssn'], () => `SSN: ${ssn().join('')}`);
  add('ssn: other dash', ['ssn'], () => ssn().join('\u2013'));

  // IBANs.
  const iban = () =>
    pick([
      () => ibanOf('DE', digitsOf(rnd, 18)),
      () => ibanOf('GB', `WEST${digitsOf(rnd, 14)}`),
      () => ibanOf('FR', digitsOf(rnd, 23)),
      () => ibanOf('ES', digitsOf(rnd, 20)),
      () => ibanOf('NL', `ABNA${digitsOf(rnd, 10)}`),
      () => ibanOf('IT', `X${digitsOf(rnd, 22)}`),
    ])();
  add('iban: compact', ['iban'], () => iban());
  add('iban: groups of 4', ['iban'], () => group4(iban(), ' '));

  // Hard negatives.
  add('none: ids', [], () => pick([`CUST-${digitsOf(rnd, 6)}`, `ORD-2026-${digitsOf(rnd, 6)}`, `TXN${digitsOf(rnd, 8)}`, `order ${digitsOf(rnd, 9)}`, `invoice no. ${digitsOf(rnd, 7)}`]));
  add('none: dates and times', [], () => pick([`2026-${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`, `2026-11-26T${digitsOf(rnd, 2).replace(/^[3-9]/, '1')}:${digitsOf(rnd, 1)}0:00Z`, `${1 + Math.floor(rnd() * 12)}/${1 + Math.floor(rnd() * 28)}/2026`, String(1764115200000 + Math.floor(rnd() * 1e9))]));
  add('none: amounts and quantities', [], () => pick([`${Math.floor(rnd() * 100000)}.${digitsOf(rnd, 2)}`, `$${Math.floor(rnd() * 1000)},${digitsOf(rnd, 3)}.${digitsOf(rnd, 2)}`, `qty ${Math.floor(rnd() * 50)}`, `${Math.floor(rnd() * 100)}%`]));
  add('none: zip codes', [], () => pick([digitsOf(rnd, 5), `${digitsOf(rnd, 5)}-${digitsOf(rnd, 4)}`, `SW1A ${digitsOf(rnd, 1)}AA`, `75${digitsOf(rnd, 3)} Paris`]));
  add('none: addresses and names', [], () => `${Math.floor(rnd() * 9000) + 1} ${pick(['Main', 'Quincy', 'Elm', 'Baker'])} Street Apt ${Math.floor(rnd() * 90)}, ${pick(FIRST)} ${pick(LAST)}`);
  add('none: hashes and tokens', [], () => pick([Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join(''), `tok_${Array.from({ length: 16 }, () => 'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(rnd() * 32)]).join('')}`]));
  add('none: masked outputs', [], () => pick([`XXX-XXX-${digitsOf(rnd, 4)}`, `***-**-${digitsOf(rnd, 4)}`, `**** **** **** ${digitsOf(rnd, 4)}`, `${Array.from({ length: 10 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('')}@example`]));
  add('none: failing checksums', [], () => {
    const c = card();
    const bad = c.slice(0, -1) + String((Number(c.at(-1)) + 1) % 10);
    return pick([group4(bad, ' '), ibanOf('DE', digitsOf(rnd, 18)).replace(/^(DE)(\d\d)/, (_m, cc: string, ck: string) => `${cc}${String((Number(ck) + 1) % 100).padStart(2, '0')}`)]);
  });
  add('none: versions, IPs, product codes', [], () => pick([`v${Math.floor(rnd() * 9)}.${Math.floor(rnd() * 20)}.${Math.floor(rnd() * 100)}`, `10.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`, `SKU-${digitsOf(rnd, 6)}`, `ext. ${digitsOf(rnd, 4)}`]));
  add('none: reserved SSN ranges', [], () => pick([`000-${digitsOf(rnd, 2).replace(/^00$/, '12')}-${digitsOf(rnd, 4)}`, `666-${String(10 + Math.floor(rnd() * 89))}-${digitsOf(rnd, 4)}`, `9${digitsOf(rnd, 2)}-12-3456`]));
  return out;
}
