import { maskHmac } from './mask-hmac';
import { domainHmacOf, type MaskKey } from './mask-key';

/** Hex characters of the keyed hash that replace an email's local part. */
export const EMAIL_HASH_LENGTH = 10;

/** A host name: labels of letters, digits and inner hyphens, at least two, nothing else. */
const HOST_NAME = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/**
 * An email split at its last "@", or undefined when the value is not shaped like one: the part
 * after the "@" must be a host name alone and the whole value one word, because the domain is
 * kept in the clear ("a@example.com 515-555-6908" is not an email, and is hashed whole).
 */
export function splitEmail(value: string): { readonly local: string; readonly domain: string } | undefined {
  const text = value.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1 || /\s/u.test(text)) return undefined;
  const domain = text.slice(at + 1);
  if (domain.length > 253 || !HOST_NAME.test(domain)) return undefined;
  return { local: text.slice(0, at), domain };
}

/**
 * Method `email`: "John.Smith@Example.com" -> "<10 hex>@example.com". The local part is replaced
 * by the first 10 hex characters of HMAC-SHA256(key, "email:" [+ domain + NUL] + local part lower-cased); the
 * domain is kept, lower-cased, so reports by email provider still work. The value is trimmed
 * first and split at its last "@".
 *
 * A value that is not shaped like an email (no "@", or nothing before or after it) gets the full
 * `hmac` method instead, so it cannot leak: callers count those with `splitEmail` (maskBatch
 * does). Ten hex characters are 40 bits: about one collision expected per million distinct
 * local parts on the same domain, harmless for an attribute that is not a key.
 * Null stays null.
 */
export function maskEmail(value: string | null | undefined, key: MaskKey, domain?: string): string | null {
  if (value === null || value === undefined) return null;
  const parts = splitEmail(value);
  if (!parts) return maskHmac(value, key, domain);
  const local = domainHmacOf(key, 'email', parts.local.toLowerCase(), domain).toString('hex', 0, EMAIL_HASH_LENGTH / 2);
  return `${local}@${parts.domain.toLowerCase()}`;
}
