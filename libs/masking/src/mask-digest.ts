import { createHash } from 'node:crypto';

/**
 * Methods `sha256` and `md5`: the unkeyed digest of the value's text, in hex. Anyone can hash a
 * guessed value and compare, so these only fit values nobody could guess (or a legacy join
 * that needs them); the config check warns whenever a rule asks for one. Null stays null.
 */
export function maskDigest(value: string | null | undefined, algorithm: 'sha256' | 'md5'): string | null {
  if (value === null || value === undefined) return null;
  return createHash(algorithm).update(value, 'utf8').digest('hex');
}
