import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { MaskConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';

/** An AES-256-GCM key of the token vault with its version. Prints and serializes without the secret. */
export interface VaultKey {
  readonly keyId: string;
  readonly secret: KeyObject;
}

/** The current vault key plus older ones, so entries sealed before a rotation stay readable. */
export interface VaultKeyRing {
  readonly current: VaultKey;
  byId(keyId: string): VaultKey | undefined;
  /** Ids of every key held, for error messages. */
  readonly keyIds: readonly string[];
}

type VaultConfig = NonNullable<MaskConfig['vault']>;

/** A vault key from 64 hex characters or 44 base64 characters (32 bytes). */
export function parseVaultKey(text: string, keyId: string): VaultKey {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== 32) {
    throw new PipelineError(`vault key ${keyId} is not 32 bytes`, {
      exitCode: ExitCode.usage,
      context: { key: keyId },
      fix: 'give the vault key as 64 hex characters (openssl rand -hex 32) in VAULT_KEY or the file named by VAULT_KEY_FILE',
    });
  }
  return Object.freeze({ keyId, secret: createSecretKey(bytes) });
}

/** The ring of a `mask.vault` config section. */
export function createVaultKeyRing(vault: Pick<VaultConfig, 'key' | 'key_id' | 'previous_keys'>): VaultKeyRing {
  const current = parseVaultKey(vault.key, vault.key_id);
  const keys = new Map<string, VaultKey>([[current.keyId, current]]);
  for (const [id, k] of Object.entries(vault.previous_keys ?? {})) if (!keys.has(id)) keys.set(id, parseVaultKey(k, id));
  return Object.freeze({ current, byId: (id: string) => keys.get(id), keyIds: Object.freeze([...keys.keys()]) });
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts a value with AES-256-GCM under a fresh random IV, binding `aad` (entity, column and
 * token) so an entry cannot be moved to another token unnoticed. Returns base64(iv | tag | ciphertext).
 */
export function sealValue(value: string, key: VaultKey, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

/** The vault cannot open an entry: wrong key for that key id, or the entry was altered. */
export class VaultDecryptError extends PipelineError {
  constructor(keyId: string, where: string) {
    super(`the vault entry ${where} does not open with vault key ${keyId}: wrong key, or the entry was altered`, {
      exitCode: ExitCode.usage,
      context: { key: keyId },
      fix: `set VAULT_KEY (or mask.vault.previous_keys.${keyId}) to the key that had id ${keyId} when the entry was written`,
    });
  }
}

/** Decrypts what sealValue produced; throws VaultDecryptError when the key or aad do not match, or the tag is not the full 16 bytes. */
export function openSealedValue(sealed: string, key: VaultKey, aad: string): string {
  const buf = Buffer.from(sealed, 'base64');
  try {
    // GCM accepts tags shorter than 16 bytes unless told otherwise; a 4-byte tag can be forged.
    if (buf.length < IV_BYTES + TAG_BYTES) throw new Error('entry too short');
    const decipher = createDecipheriv('aes-256-gcm', key.secret, buf.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new VaultDecryptError(key.keyId, aad.split('\u0000').join('/'));
  }
}
