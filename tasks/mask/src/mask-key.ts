import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The secret every keyed masking method uses, with the version recorded next to masked data
 * (`_mask_key_id`) so keys can rotate. The key is held as a KeyObject, which prints as
 * `SecretKeyObject { type: 'secret' }` and serializes to `{}`, so logging a MaskKey by mistake
 * does not leak it.
 */
export interface MaskKey {
  /** Version of the key (config `mask.key_id`); safe to log and store. */
  readonly keyId: string;
  /** The secret (config `mask.hmac_key`); never log it. */
  readonly secret: KeyObject;
}

/** Builds the key material from the config's `mask.hmac_key` (UTF-8 text) and `mask.key_id`. */
export function createMaskKey(hmacKey: string, keyId: string): MaskKey {
  if (hmacKey.length === 0) throw new Error('the masking key is empty; set mask.hmac_key (e.g. ${MASK_HMAC_KEY})');
  return Object.freeze({ keyId, secret: createSecretKey(Buffer.from(hmacKey, 'utf8')) });
}

/** HMAC-SHA256 of the UTF-8 bytes of `text` under the key. */
export function hmacOf(key: MaskKey, text: string): Buffer {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest();
}
