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
  ])('finds nothing in %s', (text) => expect(detectPii(text)).toEqual([]));

  it('looks only for the kinds asked for', () => {
    expect(detectPii('a@b.io 123-45-6789', ['ssn'])).toEqual(['ssn']);
  });

  it('checks Luhn', () => {
    expect(passesLuhn('79927398713')).toBe(true);
    expect(passesLuhn('79927398710')).toBe(false);
    expect(containsCardNumber('pay 5555 5555 5555 4444 now')).toBe(true);
  });
});
