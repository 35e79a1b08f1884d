import { z } from 'zod';
import { bool, identifier, num } from './primitives';

/** Column types a declared schema can cast to. `decimal(p,s)` is also accepted and sets precision and scale. */
export const COLUMN_TYPES = ['string', 'int', 'bigint', 'float', 'decimal', 'bool', 'date', 'timestamp'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Value normalizers, applied in order after trimming and before the cast. */
export const NORMALIZERS = ['trim', 'lower', 'upper', 'collapse_spaces', 'e164', 'email'] as const;
export type Normalizer = (typeof NORMALIZERS)[number];

/** What standardize does with raw columns the declared schema does not name. */
export const UNKNOWN_COLUMN_POLICIES = ['evolve', 'freeze', 'drop'] as const;
/** What standardize does with C0 control characters (U+0000-U+001F but tab, LF and CR) in text columns. */
export const CONTROL_CHARACTER_POLICIES = ['reject', 'strip', 'keep'] as const;
export type ControlCharacterPolicy = (typeof CONTROL_CHARACTER_POLICIES)[number];

const DECIMAL_TYPE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const columnSpecInput = z.strictObject({
  type: z
    .string()
    .refine((t) => (COLUMN_TYPES as readonly string[]).includes(t) || DECIMAL_TYPE.test(t), `must be one of ${COLUMN_TYPES.join(', ')}, or decimal(p,s) such as decimal(12,2)`)
    .describe(`Target type: ${COLUMN_TYPES.join(', ')}, or decimal(p,s)`),
  from: z.string().optional().describe('Source column name when it differs (matched after snake_casing)'),
  required: bool().default(false).describe('A null or empty value rejects the row'),
  scale: num().int().min(0).max(9).optional().describe('Digits after the point for decimal (default 2)'),
  precision: num().int().min(1).max(38).optional().describe('Total digits for decimal (default 18); larger values are rejected'),
  format: z
    .string()
    .min(1)
    .optional()
    .describe('Format hint for date and timestamp text, e.g. MM/DD/YYYY, DD.MM.YYYY, MM/YYYY, YYYYMMDD, MM/DD/YYYY HH:mm:ss (tokens YYYY MM M DD D HH H mm ss SSS)'),
  timezone: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or America/New_York')
    .optional()
    .describe('For timestamps: the zone of values written without an offset (default UTC)'),
  decimal_comma: bool().default(false).describe('Numbers use a decimal comma and dot or space thousands (1.234,50)'),
  true_values: z.array(z.string()).optional().describe('For bool: the spellings of true (default true, t, yes, y, 1; any case)'),
  false_values: z.array(z.string()).optional().describe('For bool: the spellings of false (default false, f, no, n, 0; any case)'),
  allowed: z.array(z.union([z.string(), z.number(), z.boolean()])).optional().describe('Allowed values after normalizing and casting; others reject the row'),
  min: num().optional().describe('Smallest allowed number (numeric types)'),
  max: num().optional().describe('Largest allowed number (numeric types)'),
  normalize: z
    .array(z.enum(NORMALIZERS))
    .default([])
    .describe('Applied in order before the cast: trim, lower, upper, collapse_spaces, e164 (phone to +<country><number>), email (trim and lower-case)'),
  phone_country_code: z.string().regex(/^\d{1,3}$/).default('1').describe('For e164: the country calling code of numbers written without one'),
});

export const columnSpecSchema = columnSpecInput.transform((spec) => {
  const m = DECIMAL_TYPE.exec(spec.type);
  if (m) return { ...spec, type: 'decimal' as ColumnType, precision: Number(m[1]), scale: Number(m[2]) };
  return { ...spec, type: spec.type as ColumnType, scale: spec.scale ?? 2 };
});

export const standardizeEntitySchema = z
  .strictObject({
  source: z
    .union([identifier(), z.array(identifier()).min(1)])
    .describe('Name of the source that lands this entity in raw, or a list of them: their rows are unioned (each keeps its _source) and the key decides duplicates across them'),
  sources: z.array(identifier()).optional().describe('More sources of the entity (the same as listing them in source); filled in from source after validation'),
  key: z.array(identifier()).min(1).describe('Business key; duplicates on it are dropped'),
  order_by: identifier()
    .optional()
    .describe('Numeric, date or timestamp column deciding which duplicate of a key is kept: the latest (ties: the later row). Without it the first row is kept'),
  unknown_columns: z
    .enum(UNKNOWN_COLUMN_POLICIES)
    .default('drop')
    .describe('Raw columns the schema does not declare: evolve keeps them (as text) and reports them, freeze fails the step (exit 4), drop drops and reports them'),
  control_characters: z
    .enum(CONTROL_CHARACTER_POLICIES)
    .default('reject')
    .describe(
      'C0 control characters (U+0000 NUL to U+001F, but tab, line feed and carriage return) in text columns: reject sends the row to quarantine naming the column and the character, strip removes them (the run report counts the values changed), keep keeps them. Default reject: a NUL breaks PostgreSQL text and C strings downstream',
    ),
  columns: z.record(identifier(), columnSpecSchema).describe('Declared schema: target column name to its spec'),
  })
  // `sources` lists every source; `source` stays the first, for messages and single-source readers.
  .transform((e) => {
    const sources = [...new Set([...(Array.isArray(e.source) ? e.source : [e.source]), ...(e.sources ?? [])])];
    return { ...e, source: sources[0]!, sources };
  });

export const standardizeSchema = z.strictObject({
  reject_tolerance: num().min(0).max(1).default(0.05).describe('Fraction of rejected rows above which the step fails with exit 4'),
  entities: z.record(identifier(), standardizeEntitySchema).describe('Entities to standardize, by entity name'),
});
