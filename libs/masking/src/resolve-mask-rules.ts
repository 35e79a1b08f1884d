import { columnGlobRegExp, isColumnGlob, type MaskRuleConfig } from '@salesflow/config';

/** A masking rule as maskBatchColumns reads it (config rules fit; options default as in the config). */
export type MaskRule = Pick<MaskRuleConfig, 'method'> & Partial<Omit<MaskRuleConfig, 'method'>>;

/** Masking rules by exact column name. */
export type MaskRules = Readonly<Record<string, MaskRule>>;

/** Column added to masked data: the `mask.key_id` of the key that produced the row. */
export const MASK_KEY_ID_COLUMN = '_mask_key_id';

/**
 * Turns rules keyed by column name or glob (`*email*`) into rules by exact column name for the
 * columns at hand: an exact name wins, then the first glob in config order that matches.
 * Columns starting with "_" (lineage) are matched by exact name only. Pure.
 */
export function resolveMaskRules(rules: Readonly<Record<string, MaskRule>>, columns: readonly string[]): Record<string, MaskRule> {
  const out: Record<string, MaskRule> = {};
  const globs = Object.entries(rules)
    .filter(([k]) => isColumnGlob(k))
    .map(([k, r]) => [columnGlobRegExp(k), r] as const);
  for (const column of columns) {
    const exact = Object.prototype.hasOwnProperty.call(rules, column) && !isColumnGlob(column) ? rules[column] : undefined;
    if (exact) out[column] = exact;
    else if (!column.startsWith('_')) {
      const hit = globs.find(([re]) => re.test(column));
      if (hit) out[column] = hit[1];
    }
  }
  return out;
}

/**
 * Rules that apply at ingest (`at_ingest: true`), by raw column name. Raw names are compared as
 * `nameOf(raw)` (give standardize's snake_casing so "Email Address" meets a rule on email_address).
 */
export function ingestMaskRules(
  rules: Readonly<Record<string, MaskRule>>,
  rawColumns: readonly string[],
  nameOf: (raw: string) => string = (n) => n,
): Record<string, MaskRule> {
  const byName = new Map(rawColumns.map((raw) => [nameOf(raw), raw]));
  const resolved = resolveMaskRules(rules, [...byName.keys()]);
  return Object.fromEntries(Object.entries(resolved).filter(([, r]) => r.at_ingest).map(([name, r]) => [byName.get(name)!, r]));
}
