import { containsCardNumber, detectPii, passesLuhn } from './detect-pii';

describe('detectPii', () => {
  it.each([
    ['reach me at John.Smith@Example.COM today', ['email']],
    ['(555) 123-4567', ['phone']],
    ['+1 555.123.4567', ['phone']],
    ['5551234567', ['phone']],
    ['+442071838750', ['phone']],
    ['4111 1111 1111 1111', ['card']],
    ['4111-1111-1111-1111', ['card']],
    ['card 378282246310005 on file', ['card']],
    ['123-45-6789', ['ssn']],
    ['５５５‐１２３‐４５６７', ['phone']],
    ['٥٥٥-١٢٣-٤٥٦٧', ['phone']],
    ['555\u200B-123-4567', ['phone']],
    ['+44 20 7946 0958', ['phone']],
    ['030 12345678', ['phone']],
    ['01 23 45 67 89', ['phone']],
    ['4111111111111111', ['card']],
    ['4111–1111–1111–1111', ['card']],
    ['SSN 123456789', ['ssn']],
    ['123 45 6789', ['ssn']],
    ['DE89 3704 0044 0532 0130 00', ['iban']],
    ['GB82WEST12345698765432', ['iban']],
    ['emily\uFF20example.com', ['email']],
  ])('%s -> %j', (text, kinds) => expect(detectPii(text)).toEqual(kinds));

  it.each([
    'CUST000001',
    'TXN00000250',
    'PROD000123',
    'XXX-XXX-4567',
    'XXX-XX-6789',
    '0a1b2c3d4e@example',
    'tok_abcdefghijklmnop',
    '4111 1111 1111 1112', // fails Luhn
    '0000 0000 0000 0000', // one digit repeated
    '000-12-3456', // area 000 is never issued
    '2026-11-26T13:45:00Z',
    '123 Main Street Apt 4',
    'Springfield',
    'order 123456789',
    '62701-1234',
    'DE88 3704 0044 0532 0130 00', // fails mod 97
    '2026-12-07 10:11:12',
    '1234567.89',
  ])('finds nothing in %s', (text) => expect(detectPii(text)).toEqual([]));

  it('reads national phone formats only for the countries asked for', () => {
    expect(detectPii('612 345 678', { countries: ['ES'] })).toEqual(['phone']);
    expect(detectPii('612 345 678', { countries: ['US'] })).toEqual([]);
  });

  it('looks only for the kinds asked for', () => {
    expect(detectPii('a@b.io 123-45-6789', ['ssn'])).toEqual(['ssn']);
  });

  it('checks Luhn', () => {
    expect(passesLuhn('79927398713')).toBe(true);
    expect(passesLuhn('79927398710')).toBe(false);
    expect(containsCardNumber('pay 5555 5555 5555 4444 now')).toBe(true);
  });
});
