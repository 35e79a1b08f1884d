import { createHmac } from 'node:crypto';
import type { MaskKey } from './mask-key';

/**
 * Method `hmac`: the keyed HMAC-SHA256 of the value's text, as 64 lower-case hex characters.
 * Deterministic for one key (joins and counts of distinct values still work), unrelated under
 * another key, and not reversible without the key. Null stays null.
 */
export function maskHmac(value: string | null | undefined, key: MaskKey): string | null {
  if (value === null || value === undefined) return null;
  return createHmac('sha256', key.secret).update(value, 'utf8').digest('hex');
}
