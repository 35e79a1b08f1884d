import { domainHmacOf, type MaskKey } from './mask-key';

/** Prefix of every token, so a token is never mistaken for a real value. */
export const TOKEN_PREFIX = 'tok_';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Method `tokenize`: a deterministic token `tok_` + 16 lower-case base32 characters (the first
 * 80 bits of HMAC-SHA256(key, "token:" + domain + NUL + value), see domainHmacOf). The same value
 * always gives the same token under one key and domain, so joins and group-bys on the column
 * still work; the "token:" label keeps tokens unrelated to the `hmac` method's output. The key is
 * the tokenize key (mask.tokenize_key), not the hmac key: steps that hold the hmac key cannot
 * reverse a token by tokenizing guessed values.
 *
 * The token itself reveals nothing; maskBatchColumns hands each (token, original) pair to a
 * TokenSink (the TokenVaultCollector), which keeps the original encrypted in the vault so an
 * authorised user can get it back with `detokenize` and the vault key.
 * Null stays null.
 */
export function tokenizeValue(value: string | null | undefined, key: MaskKey, domain?: string): string | null {
  if (value === null || value === undefined) return null;
  return TOKEN_PREFIX + base32Of(domainHmacOf(key, 'token', value, domain), 10);
}

/** RFC 4648 base32 (lower case, no padding) of the first `bytes` bytes; 5 bytes make 8 characters. */
function base32Of(buf: Uint8Array, bytes: number): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes; i++) {
    acc = (acc << 8) | buf[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}
