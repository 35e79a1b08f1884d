import { maskHmac } from './mask-hmac';
import { hmacOf, type MaskKey } from './mask-key';

/** Hex characters of the keyed hash that replace an email's local part. */
export const EMAIL_HASH_LENGTH = 10;

/** An email split at its last "@", or undefined when the value is not shaped like one. */
export function splitEmail(value: string): { readonly local: string; readonly domain: string } | undefined {
  const text = value.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return undefined;
  return { local: text.slice(0, at), domain: text.slice(at + 1) };
}

/**
 * Method `email`: "John.Smith@Example.com" -> "<10 hex>@example.com". The local part is replaced
 * by the first 10 hex characters of HMAC-SHA256(key, "email:" + local part lower-cased); the
 * domain is kept, lower-cased, so reports by email provider still work. The value is trimmed
 * first and split at its last "@".
 *
 * A value that is not shaped like an email (no "@", or nothing before or after it) gets the full
 * `hmac` method instead, so it cannot leak: callers count those with `splitEmail` (maskBatch
 * does). Ten hex characters are 40 bits: about one collision expected per million distinct
 * local parts on the same domain, harmless for an attribute that is not a key.
 * Null stays null.
 */
export function maskEmail(value: string | null | undefined, key: MaskKey): string | null {
  if (value === null || value === undefined) return null;
  const parts = splitEmail(value);
  if (!parts) return maskHmac(value, key);
  const local = hmacOf(key, 'email:' + parts.local.toLowerCase()).toString('hex', 0, EMAIL_HASH_LENGTH / 2);
  return `${local}@${parts.domain.toLowerCase()}`;
}
