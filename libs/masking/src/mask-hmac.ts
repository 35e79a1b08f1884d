import { domainHmacOf, type MaskKey } from './mask-key';

/**
 * Method `hmac`: the keyed HMAC-SHA256 of the value's text, as 64 lower-case hex characters.
 * Deterministic for one key (joins and counts of distinct values still work), unrelated under
 * another key, and not reversible without the key. With a `domain` (see domainHmacOf) the same
 * value gives unrelated outputs in different columns. Null stays null.
 */
export function maskHmac(value: string | null | undefined, key: MaskKey, domain?: string): string | null {
  if (value === null || value === undefined) return null;
  return domainHmacOf(key, 'hmac', value, domain).toString('hex');
}
