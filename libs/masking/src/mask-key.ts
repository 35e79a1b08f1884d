import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { MaskConfig } from '@salesflow/config';

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

/** The current masking key plus the older ones by key id (after a rotation). */
export interface MaskKeyRing {
  /** Key used for everything masked now. */
  readonly current: MaskKey;
  /** A key by id, current or previous; undefined when the ring does not hold it. */
  byId(keyId: string): MaskKey | undefined;
}

/**
 * The key ring of a `mask` config section: `hmac_key`/`key_id` as current, `previous_keys` as
 * older versions. The secrets come from env or mounted files through `${NAME}` in the YAML.
 */
export function createMaskKeyRing(mask: Pick<MaskConfig, 'hmac_key' | 'key_id' | 'previous_keys'>): MaskKeyRing {
  const current = createMaskKey(mask.hmac_key, mask.key_id);
  const keys = new Map<string, MaskKey>([[current.keyId, current]]);
  for (const [id, secret] of Object.entries(mask.previous_keys ?? {})) if (!keys.has(id)) keys.set(id, createMaskKey(secret, id));
  return Object.freeze({ current, byId: (id: string) => keys.get(id) });
}
