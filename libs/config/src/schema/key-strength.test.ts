import { randomBytes } from 'node:crypto';
import { keyWeakness, TEXT_KEY_RULE, VAULT_KEY_RULE, vaultKeyBytes } from './key-strength';

const text = (k: string) => keyWeakness(Buffer.from(k, 'utf8'), TEXT_KEY_RULE);
const vault = (k: string) => keyWeakness(vaultKeyBytes(k), VAULT_KEY_RULE);

describe('keyWeakness', () => {
  it.each([
    ['an all-zero vault key', () => vault('0'.repeat(64)), /one byte repeated$/],
    ['a vault key of one repeated byte', () => vault('ab'.repeat(32)), /one byte repeated$/],
    ['a vault key that repeats a block', () => vault('00ff'.repeat(16)), /repeats a block of 2 bytes/],
    ['a vault key of ASCII text', () => vault(Buffer.from('demo-only-vault-key-not-secret!!').toString('hex')), /estimated entropy is 122 bits, under the 128/],
    ['a vault key of few byte values', () => vault('00010203040506070809'.repeat(3) + '0a0b'), /consecutive|distinct/],
    ['an hmac key of one character', () => text('k'.repeat(32)), /one byte repeated/],
    ['password123 twice', () => text('password123password123'), /repeats a block of 11 bytes/],
    ['password123 with a suffix', () => text('password123password!'), /estimated entropy is \d+ bits, under the 80/],
    ['the alphabet', () => text('abcdefghijklmnopqrstuvwxyz012345'), /run of consecutive characters/],
    ['the placeholder of .env.example', () => text('change-me-mask-hmac-key-at-least-32-characters'), /placeholder of an example file/],
    ['a 16-character key', () => text('Tr0ub4dor&3horse'), /estimated entropy is \d+ bits, under the 80/],
  ])('refuses %s', (_, check, why) => {
    expect(check()).toMatch(why);
  });

  it('passes every random key of the sizes the docs name (openssl rand -hex 16 / -hex 32 / -base64 32, 32 random bytes)', () => {
    for (let i = 0; i < 2000; i++) {
      expect([i, text(randomBytes(16).toString('hex'))]).toEqual([i, undefined]);
      expect([i, text(randomBytes(32).toString('hex'))]).toEqual([i, undefined]);
      expect([i, text(randomBytes(32).toString('base64'))]).toEqual([i, undefined]);
      expect([i, vault(randomBytes(32).toString('hex'))]).toEqual([i, undefined]);
      expect([i, vault(randomBytes(32).toString('base64'))]).toEqual([i, undefined]);
    }
  });
});
