/** Formats a 1-based sequence number as a fixed-width id, e.g. ("CUST", 7, 6) gives "CUST000007". */
export function formatId(prefix: string, n: number, width: number): string {
  return prefix + String(n).padStart(width, '0');
}
