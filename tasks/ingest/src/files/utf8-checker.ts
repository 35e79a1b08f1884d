import { isUtf8 } from 'node:buffer';

/**
 * Checks a byte stream chunk by chunk for invalid UTF-8 with node's native validator, which costs
 * next to nothing beside parsing. A character split across two chunks is held back and checked
 * with the next one.
 */
export class Utf8Checker {
  /** Whether some bytes so far were not valid UTF-8. */
  invalid = false;
  private carry: Buffer | undefined;

  /** Checks the next chunk; returns `invalid`. */
  check(chunk: Buffer): boolean {
    if (this.invalid) return true;
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = completeLength(bytes);
    this.carry = end < bytes.length ? Buffer.from(bytes.subarray(end)) : undefined;
    this.invalid = !isUtf8(bytes.subarray(0, end));
    return this.invalid;
  }

  /** At the end of the stream: a character cut short is invalid too. */
  end(): boolean {
    if (this.carry) this.invalid = true;
    return this.invalid;
  }
}

/** Length of `bytes` without a trailing multi-byte character that is not complete yet. */
function completeLength(bytes: Buffer): number {
  let i = bytes.length - 1;
  // Back over at most three continuation bytes (10xxxxxx) to the lead byte.
  while (i >= 0 && bytes.length - i <= 3 && (bytes[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return bytes.length;
  const lead = bytes[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > bytes.length - i ? i : bytes.length;
}
