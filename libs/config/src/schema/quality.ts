import { z } from 'zod';
import { bool, identifier, num } from './primitives';

/**
 * The kinds of check. Each kind has a runner registered in tasks/check-quality (check-kinds.ts);
 * adding a kind means adding its name here, its runner there, and its field rules in validate-config.ts.
 */
export const QUALITY_CHECK_KINDS = [
  'not_null',
  'unique',
  'relationships',
  'accepted_values',
  'range',
  'regex',
  'row_count',
  'row_count_change',
  'freshness',
  'reconciliation',
  'pii_scan',
] as const;

export const qualityCheckSchema = z.strictObject({
  table: identifier().describe('Curated table the check reads (reconciliation: the fact table)'),
  check: z.enum(QUALITY_CHECK_KINDS).describe('Kind of check'),
  columns: z.array(identifier()).default([]).describe('Columns checked (unique: together; range, regex, accepted_values, freshness: each; pii_scan: these, or every text column when empty)'),
  references: z
    .strictObject({ table: identifier(), column: identifier() })
    .optional()
    .describe('For relationships: the dimension table and key every value must exist in'),
  min: num().optional().describe('For row_count: fewest rows allowed; for range: smallest value allowed'),
  max: num().optional().describe('For row_count: most rows allowed; for range: largest value allowed'),
  values: z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe('For accepted_values: the values allowed (nulls are not checked: not_null does that)'),
  pattern: z.string().optional().describe('For regex: a JavaScript regular expression every non-null value must match (anchor it with ^...$)'),
  max_drop_pct: num().min(0).max(100).optional().describe('For row_count_change: largest drop in rows allowed vs the previous ds, in percent'),
  max_growth_pct: num().min(0).optional().describe('For row_count_change: largest growth in rows allowed vs the previous ds, in percent'),
  max_age_hours: num().positive().optional().describe('For freshness: the newest value of the column must be at most this many hours before the end of ds (ds+1 00:00 UTC)'),
  severity: z.enum(['error', 'warn']).default('error').describe('error stops the load (exit 3); warn only reports'),
});

export const profilesSchema = z.strictObject({
  enabled: bool().default(true).describe('Profile every column of the curated tables (and the masked entities) in the checks\' pass: quality/dt=<ds>/profiles.json'),
  processed: bool().default(true).describe('Also profile processed/masked/<entity> of every standardized entity (masked, so no personal data in the profile)'),
  parallel: bool()
    .default(true)
    .describe('Make the profiles on a thread of their own, from the chunks the checks\' reader decodes (nothing is decoded twice); false makes them on the checks\' thread'),
  max_null_pct_change: num().min(0).max(100).default(10).describe('Drift: a column whose null % moves more than this many points from the previous ds fails the warn check <table>.profile_drift'),
  max_distinct_change_pct: num().min(0).default(50).describe('Drift: a column whose distinct count moves more than this percent from the previous ds fails the warn check <table>.profile_drift'),
});

export const qualitySchema = z.strictObject({
  checks: z.array(qualityCheckSchema).default([]).describe('Checks on curated tables'),
  sample_size: num().int().min(0).max(1000).default(10).describe('Failing rows kept per check in the report (from curated data, so already masked)'),
  history_runs: num().int().min(1).max(366).default(30).describe('Past ds shown in the charts of report.html'),
  profiles: profilesSchema
    .default({ enabled: true, processed: true, parallel: true, max_null_pct_change: 10, max_distinct_change_pct: 50 })
    .describe('Column profiles (row counts, nulls, distinct counts, ranges, quantiles, top values) and their drift between days'),
  html_report: bool().default(true).describe('Also write quality/dt=<ds>/report.html, a self-contained page (no network)'),
});
