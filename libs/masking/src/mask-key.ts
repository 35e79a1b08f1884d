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

/**
 * HMAC-SHA256 of a value under a method's label and a domain: `label + ":" + domain + NUL + value`.
 * The domain (by default "<entity>.<column>", or a rule's `link_as`) keeps equal values in
 * different columns apart, so a first name's output never equals the same last name's, and
 * frequencies cannot be matched across columns. Without a domain the input is `label + ":" + value`
 * (`hmac` alone: the bare value), as before domains existed.
 */
export function domainHmacOf(key: MaskKey, label: string, value: string, domain?: string): Buffer {
  if (domain === undefined) return hmacOf(key, label === 'hmac' ? value : `${label}:${value}`);
  return hmacOf(key, `${label}:${domain}\u0000${value}`);
}

/**
 * The tokenize key of a `mask` config section (`tokenize_key`/`tokenize_key_id`), or undefined
 * when none is configured. Kept apart from hmac_key so a step holding the hmac key cannot
 * recompute tokens for guessed values.
 */
export function createTokenizeKey(mask: Pick<MaskConfig, 'tokenize_key' | 'tokenize_key_id'>): MaskKey | undefined {
  return mask.tokenize_key ? createMaskKey(mask.tokenize_key, mask.tokenize_key_id ?? 't1') : undefined;
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
