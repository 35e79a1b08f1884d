import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { createMaskKey, maskEmail, maskHmac, maskPattern, maskRedact, splitEmail, tokenizeValue, hasTooFewDigits } from './index';

const key = createMaskKey('test-key-0123456789abcdef', 'v1');
const otherKey = createMaskKey('another-key-0123456789abcdef', 'v2');

describe('createMaskKey', () => {
  it('does not show the secret when printed or serialized', () => {
    const printed = `${JSON.stringify(key)} ${inspect(key, { depth: 5 })}`;
    expect(printed).not.toContain('test-key-0123456789abcdef');
    expect(printed).toContain('v1');
  });
});

describe('maskHmac', () => {
  it('is HMAC-SHA256 in hex (RFC 4231 test case 2)', () => {
    expect(maskHmac('what do ya want for nothing?', createMaskKey('Jefe', 'k'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
  it('is deterministic for one key and different under another', () => {
    expect(maskHmac('12 Main St', key)).toBe(maskHmac('12 Main St', key));
    expect(maskHmac('12 Main St', key)).toMatch(/^[0-9a-f]{64}$/);
    expect(maskHmac('12 Main St', otherKey)).not.toBe(maskHmac('12 Main St', key));
    expect(maskHmac('12 Main St.', key)).not.toBe(maskHmac('12 Main St', key));
  });
  it('keeps null and undefined as null', () => {
    expect(maskHmac(null, key)).toBeNull();
    expect(maskHmac(undefined, key)).toBeNull();
  });
});

describe('tokenizeValue', () => {
  it('gives tok_ + 16 base32 characters, the same for the same value', () => {
    const t = tokenizeValue('Smith', key);
    expect(t).toMatch(/^tok_[a-z2-7]{16}$/);
    expect(tokenizeValue('Smith', key)).toBe(t);
    expect(tokenizeValue('Smyth', key)).not.toBe(t);
  });
  it('is the base32 of HMAC(key, "token:" + value), so it depends on the key', () => {
    expect(tokenizeValue('Smith', otherKey)).not.toBe(tokenizeValue('Smith', key));
    const hex = createHmac('sha256', 'test-key-0123456789abcdef').update('token:Smith').digest();
    // base32 of the first 10 bytes of HMAC(key, "token:" + value)
    const bits = [...hex.subarray(0, 10)].map((b) => b.toString(2).padStart(8, '0')).join('');
    const expected = bits.match(/.{5}/g)!.map((g) => 'abcdefghijklmnopqrstuvwxyz234567'[parseInt(g, 2)]).join('');
    expect(tokenizeValue('Smith', key)).toBe('tok_' + expected);
  });
  it('keeps null as null', () => {
    expect(tokenizeValue(null, key)).toBeNull();
  });
});

describe('domains', () => {
  it('mix entity and column into hmac, email and tokens', () => {
    expect(maskHmac('Morgan', key, 'customers.first_name')).not.toBe(maskHmac('Morgan', key, 'customers.last_name'));
    expect(maskHmac('Morgan', key, 'customers.first_name')).toBe(createHmac('sha256', 'test-key-0123456789abcdef').update('hmac:customers.first_name\u0000Morgan').digest('hex'));
    expect(tokenizeValue('Morgan', key, 'a.b')).not.toBe(tokenizeValue('Morgan', key, 'a.c'));
    expect(maskEmail('x@example.com', key, 'a.b')).not.toBe(maskEmail('x@example.com', key, 'a.c'));
  });
});

describe('maskEmail', () => {
  it('replaces the local part with 10 hex characters and keeps the domain lower-cased', () => {
    const m = maskEmail('John.Smith@Example.com', key);
    expect(m).toMatch(/^[0-9a-f]{10}@example\.com$/);
    expect(m).not.toContain('john');
    // "email:" keeps it unrelated to the hmac method's output for the same text
    expect(m!.slice(0, 10)).not.toBe(maskHmac('john.smith', key)!.slice(0, 10));
    expect(m!.slice(0, 10)).toBe(createHmac('sha256', 'test-key-0123456789abcdef').update('email:john.smith').digest('hex').slice(0, 10));
  });
  it('is deterministic, ignores case and surrounding spaces, and depends on the key', () => {
    const m = maskEmail('John.Smith@Example.com', key);
    expect(maskEmail('  john.smith@EXAMPLE.COM ', key)).toBe(m);
    expect(maskEmail('jane.smith@example.com', key)).not.toBe(m);
    expect(maskEmail('John.Smith@Example.com', otherKey)).not.toBe(m);
    expect(maskEmail('John.Smith@Example.com', otherKey)!.endsWith('@example.com')).toBe(true);
  });
  it('splits at the last @', () => {
    expect(splitEmail('"a@b"@example.org')).toEqual({ local: '"a@b"', domain: 'example.org' });
    expect(maskEmail('"a@b"@example.org', key)).toMatch(/^[0-9a-f]{10}@example\.org$/);
  });
  it('hashes a value that is not an email whole, like the hmac method', () => {
    for (const v of ['john.smith', '@example.com', 'john@', '', 'emily.lopez1@example.com 515-555-6908 SSN 078-05-1120', 'a@example.com; b@x.org', 'a@exa_mple.com', 'a@localhost']) {
      expect(splitEmail(v)).toBeUndefined();
      expect(maskEmail(v, key)).toBe(maskHmac(v, key));
    }
  });
  it('keeps null as null', () => {
    expect(maskEmail(null, key)).toBeNull();
  });
});

describe('maskPattern', () => {
  const p = 'XXX-XXX-####';
  it.each([
    ['555-123-4567', 'XXX-XXX-4567'],
    ['(555) 123 4567', 'XXX-XXX-4567'],
    ['+1 555 123 4567', 'XXX-XXX-4567'],
    ['5551234567', 'XXX-XXX-4567'],
    ['123-4567', 'XXX-XXX-4567'],
    ['ext. 34567', 'XXX-XXX-4567'],
  ])('%s -> %s', (value, masked) => {
    expect(maskPattern(value, p)).toBe(masked);
    expect(hasTooFewDigits(value, p)).toBe(false);
  });
  it('masks fully a value with no more digits than the pattern keeps', () => {
    for (const v of ['4567', '567', 'n/a', '']) {
      expect(maskPattern(v, p)).toBe('XXX-XXX-XXXX');
      expect(hasTooFewDigits(v, p)).toBe(true);
    }
  });
  it('copies other pattern characters and right-aligns kept digits', () => {
    expect(maskPattern('4111 1111 1111 1234', '**** **** **** ####')).toBe('**** **** **** 1234');
    expect(maskPattern('555-123-4567', '(XXX) XXX-XX##')).toBe('(XXX) XXX-XX67');
    expect(maskPattern('555-123-4567', 'XXX')).toBe('XXX');
  });
  it('reads digits of every script and shows the kept ones as ASCII', () => {
    expect(maskPattern('٥٥٥-١٢٣-٤٥٦٧', p)).toBe('XXX-XXX-4567');
    expect(maskPattern('５５５ １２３ ４５６７', p)).toBe('XXX-XXX-4567');
    expect(maskPattern('५५५१२३४५६७', p)).toBe('XXX-XXX-4567');
    expect(hasTooFewDigits('٤٥٦٧', p)).toBe(true);
  });
  it('keeps null as null', () => {
    expect(maskPattern(null, p)).toBeNull();
    expect(maskPattern(undefined, p)).toBeNull();
  });
});

describe('maskRedact', () => {
  it('drops every value', () => {
    expect(maskRedact('secret')).toBeNull();
    expect(maskRedact(null)).toBeNull();
  });
});

describe('maskKeepLast, maskDigest, generalizeValue', () => {
  const { maskKeepLast, maskDigest, generalizeValue } = require('./index') as typeof import('./index');
  it('keeps the last N letters and digits and the punctuation', () => {
    expect(maskKeepLast('555-123-4567', 4)).toBe('***-***-4567');
    expect(maskKeepLast('AB12', 4)).toBe('****');
    expect(maskKeepLast('AB123', 0)).toBe('*****');
    expect(maskKeepLast(null, 4)).toBeNull();
  });
  it('hides letters, digits and accents of every script', () => {
    expect(maskKeepLast('José Ñúñez', 3)).toBe('**** **ñez');
    expect(maskKeepLast('Jose\u0301', 0)).toBe('****'); // decomposed é is composed first
    expect(maskKeepLast('٤١١١-١٢٣٤', 4)).toBe('****-١٢٣٤');
    expect(maskKeepLast('東京都 𠮷野家', 1)).toBe('*** **家');
    for (const v of ['Zoë Ñúñez', 'Ωμέγα 42', '٠١٢٣٤٥٦٧٨٩']) expect(maskKeepLast(v, 0)).toMatch(/^[* ]+$/u);
  });
  it('hashes with sha256 and md5 without a key', () => {
    expect(maskDigest('abc', 'sha256')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(maskDigest('abc', 'md5')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
  it('generalizes dates, zips and numbers, and nulls what it cannot read', () => {
    expect(generalizeValue(Date.UTC(1999, 11, 31, 23), 'year')).toBe('1999');
    expect(generalizeValue('2024-02-29', 'month')).toBe('2024-02');
    expect(generalizeValue('02/29/2024', 'month')).toBeNull();
    expect(generalizeValue('02134', 'zip3')).toBe('021');
    expect(generalizeValue(-5, 'bucket', 10)).toBe('-10-0');
    expect(generalizeValue('0.35', 'bucket', 0.1)).toBe('0.3-0.4');
    expect(generalizeValue('n/a', 'bucket', 10)).toBeNull();
  });
});
