import { stringifyExact } from './exact-json';

/**
 * Raw zone values from text formats are kept as text: the source's exact characters for CSV,
 * and for JSON scalars their JSON text (nested objects and arrays as JSON). Casting is
 * standardize's job, so nothing is lost or guessed at ingest.
 */
export function toRawText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return stringifyExact(v);
}
