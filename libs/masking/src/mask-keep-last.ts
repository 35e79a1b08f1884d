/** Letters, digits and marks of any script: what keep_last hides. */
const HIDDEN = /[\p{L}\p{N}\p{M}]/u;

/**
 * Method `keep_last`: every letter and digit but the last `keep` of them becomes "*", other
 * characters stay ("4111 1111 1111 1234" -> "**** **** **** 1234"). Letters, digits and
 * combining marks of every script count ("José Ñúñez" -> "**** **ñez" with keep 3), by code
 * point after NFC, so no accent or non-ASCII digit shows through. A value with no more letters
 * and digits than `keep` is hidden whole, since keeping them would show it all. Null stays null.
 */
export function maskKeepLast(value: string | null | undefined, keep: number): string | null {
  if (value === null || value === undefined) return null;
  const chars = [...value.normalize('NFC')];
  let total = 0;
  for (const ch of chars) if (HIDDEN.test(ch)) total++;
  const shown = total > keep ? keep : 0;
  let seen = 0;
  let out = '';
  for (const ch of chars) {
    if (!HIDDEN.test(ch)) out += ch;
    else out += ++seen > total - shown ? ch : '*';
  }
  return out;
}
