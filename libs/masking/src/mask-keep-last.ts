/**
 * Method `keep_last`: every letter and digit but the last `keep` of them becomes "*", other
 * characters stay ("4111 1111 1111 1234" -> "**** **** **** 1234"). A value with no more
 * letters and digits than `keep` is hidden whole, since keeping them would show it all.
 * Null stays null.
 */
export function maskKeepLast(value: string | null | undefined, keep: number): string | null {
  if (value === null || value === undefined) return null;
  let total = 0;
  for (let i = 0; i < value.length; i++) if (isAlnum(value.charCodeAt(i))) total++;
  const shown = total > keep ? keep : 0;
  let seen = 0;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isAlnum(c)) out += value[i];
    else out += ++seen > total - shown ? value[i] : '*';
  }
  return out;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
