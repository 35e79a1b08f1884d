/**
 * Copies src[start, end) into dst at `at`; returns the end of the copy in dst. Short runs (the
 * keys and fields of sales rows) copy faster byte by byte than through a native call.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n <= 32) for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  else dst.set(src.subarray(start, end), at);
  return at + n;
}
