/**
 * How weak a secret key looks, from its bytes alone. A key of one repeated byte, a block repeated
 * (abcabc..., "0123456789abcdef" twice), a run of consecutive bytes, or too little estimated
 * entropy is refused, so an all-zero vault key or "password123password123" never reaches a
 * cipher. The estimate is the key's length times the Shannon entropy of its byte frequencies
 * (bits): it cannot see every pattern, but a random key always passes (a 32-character hex
 * key from `openssl rand -hex 16` estimates at least 93 bits, 32 random bytes at least 141).
 */
export interface KeyStrengthRule {
  /** Least estimated entropy, in bits. */
  readonly minBits: number;
  /** Least number of distinct byte values. */
  readonly minDistinct: number;
}

/** Text keys (mask.hmac_key, mask.tokenize_key), measured on their UTF-8 bytes. */
export const TEXT_KEY_RULE: KeyStrengthRule = Object.freeze({ minBits: 80, minDistinct: 8 });
/** AES-256 vault keys (mask.vault.key), measured on the 32 decoded bytes. */
export const VAULT_KEY_RULE: KeyStrengthRule = Object.freeze({ minBits: 128, minDistinct: 16 });

/** What makes the key weak, or undefined when it looks random enough under the rule. */
export function keyWeakness(bytes: Uint8Array, rule: KeyStrengthRule): string | undefined {
  const n = bytes.length;
  if (n === 0) return 'it is empty';
  // The placeholders of .env.example and k8s/secrets.example.yaml look random enough, but are public.
  if (/^change-?me/i.test(Buffer.from(bytes.subarray(0, 9)).toString('latin1'))) return 'it is the placeholder of an example file, which anyone can read';
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  // Which byte is not said: the message would print the key.
  if (counts.size === 1) return 'it is one byte repeated';
  for (let period = 2; period <= n / 2; period++) {
    if (n % period !== 0) continue;
    let repeats = true;
    for (let i = period; i < n && repeats; i++) repeats = bytes[i] === bytes[i - period];
    if (repeats) return `it repeats a block of ${period} bytes`;
  }
  let stepped = 0;
  for (let i = 1; i < n; i++) if (bytes[i] === bytes[i - 1]! + 1 || bytes[i] === bytes[i - 1]! - 1) stepped++;
  if (stepped > (n - 1) / 2) return 'it is mostly a run of consecutive characters';
  if (counts.size < rule.minDistinct) return `it holds only ${counts.size} distinct byte values (at least ${rule.minDistinct} wanted)`;
  let bits = 0;
  for (const c of counts.values()) bits -= c * Math.log2(c / n);
  if (bits < rule.minBits) return `its estimated entropy is ${Math.floor(bits)} bits, under the ${rule.minBits} bits wanted`;
  return undefined;
}

/** The bytes of a vault key (64 hex characters or base64), as the masking library decodes it. */
export function vaultKeyBytes(text: string): Buffer {
  const t = text.trim();
  return /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
}
