import type * as arrow from 'apache-arrow';

/** A key value as compared across tables: numbers stay numbers (int64 too when safe), the rest are strings. */
export type KeyValue = number | string;

/**
 * The null bitmap of a column and its bit offset, or undefined when the column has no null in
 * this batch: hot loops then skip the per-row test entirely.
 */
export function nullBitsOf(data: arrow.Data): { readonly bits: Uint8Array; readonly offset: number } | undefined {
  return data.nullCount > 0 && data.nullBitmap ? { bits: data.nullBitmap, offset: data.offset } : undefined;
}

/** Whether row i is null, given nullBitsOf(data). */
export function isNullAt(nulls: { readonly bits: Uint8Array; readonly offset: number } | undefined, row: number): boolean {
  if (!nulls) return false;
  const pos = nulls.offset + row;
  return (nulls.bits[pos >> 3]! & (1 << (pos & 7))) === 0;
}

/** A value as compared across tables: int32 and int64 of equal value meet, Dates become milliseconds. */
export function normalizeKey(value: unknown): KeyValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value.toString();
  if (value instanceof Date) return value.getTime();
  return String(value);
}
